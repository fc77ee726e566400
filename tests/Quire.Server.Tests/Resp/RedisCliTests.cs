using System.Globalization;

namespace Quire.Server.Tests.Resp;

/// <summary>redis-cli, Redis's own client (Debian's redis-tools, installed if missing), scripted through the commands Quire serves.</summary>
public class RedisCliTests
{
    [Fact]
    public void Redis_cli_runs_a_script_of_commands_and_reads_the_replies_redis_would_give()
    {
        var port = ServerProcess.FreePort();
        using var server = new ServerProcess(null, null, "--resp2-port", port.ToString(CultureInfo.InvariantCulture));
        var cli = RedisTools.Cli;
        string Call(params string[] args)
        {
            var (code, output) = RedisTools.Run(cli, ["-p", port.ToString(CultureInfo.InvariantCulture), .. args]);
            Assert.True(code == 0, output);
            return output.TrimEnd('\n');
        }

        Assert.Equal("PONG", Call("PING"));
        Assert.Equal("OK", Call("SET", "greeting", "hello world"));
        Assert.Equal("hello world", Call("GET", "greeting"));
        Assert.Equal("", Call("GET", "missing"));   // redis-cli prints nil as an empty line when not on a terminal
        Assert.Equal("3", Call("INCRBY", "counter", "3"));
        Assert.Equal("OK", Call("MSET", "a", "1", "b", "2"));
        Assert.Equal("1\n2\n", Call("MGET", "a", "b", "nope") + "\n");
        Assert.Equal("2", Call("DEL", "a", "b"));
        Assert.Equal("1", Call("EXPIRE", "greeting", "100"));
        Assert.Equal("100", Call("TTL", "greeting"));
        Assert.Equal("string", Call("TYPE", "greeting"));
        Assert.Equal("ERR value is not an integer or out of range", Call("INCR", "greeting"));
        Assert.StartsWith("ERR unknown command 'NOSUCH'", Call("NOSUCH"), StringComparison.Ordinal);

        // A script on standard input: many commands over one connection, pipelined by redis-cli --pipe.
        var script = string.Concat(Enumerable.Range(0, 500).Select(i => $"SET k{i} v{i}\r\n"));
        var input = Path.Combine(server.Data.Path, "script.txt");
        File.WriteAllText(input, script);
        var (pipeCode, pipeOutput) = RedisTools.Run("/bin/sh", "-c", $"{cli} -p {port} --pipe < {input}");
        Assert.True(pipeCode == 0, pipeOutput);
        Assert.Contains("errors: 0, replies: 500", pipeOutput, StringComparison.Ordinal);
        Assert.Equal("v499", Call("GET", "k499"));
        Assert.Equal("502", Call("DBSIZE"));   // k0..k499, greeting, counter
    }

    /// <summary>
    /// Every command Quire serves whose reply is deterministic, as one redis-cli script over
    /// one connection: hashes, sets and lists (filled in an order both keep), transactions and
    /// pub/sub's counts. Its output must be what the same script gives against redis-server.
    /// </summary>
    [Fact]
    public void Redis_cli_gives_the_same_output_from_quire_as_from_redis_server_for_every_command()
    {
        string[] script =
        [
            "PING", "ECHO hi", "SET s \"hello world\"", "GET s", "SETNX s x", "SETEX t 100 v", "PSETEX t2 100000 v", "TTL t",
            "GETSET s new", "GETDEL s", "MSET a 1 b 2", "MGET a b c", "MSETNX a 1 z 9", "APPEND a 23", "STRLEN a",
            "INCR a", "INCRBY a 10", "DECR a", "DECRBY a 5", "INCRBYFLOAT f 1.5", "SET n 5 NX", "SET n 6 XX GET", "SET n 7 KEEPTTL",
            "EXISTS a b c", "TYPE a", "RENAME a a2", "RENAMENX a2 b", "EXPIRE b 100", "PEXPIRE b 100000", "EXPIREAT b 4102444800",
            "PEXPIREAT b 4102444800000", "PERSIST b", "TTL b", "PTTL b", "KEYS a*", "DEL a2 b", "UNLINK n",
            "HSET h a 1 b 2", "HMSET h c 3", "HSETNX h a x", "HGET h a", "HMGET h a zz", "HLEN h", "HEXISTS h b", "HDEL h b",
            "HSTRLEN h a", "HINCRBY h d 5", "HINCRBYFLOAT h e 2.5", "HKEYS h", "HVALS h", "HGETALL h", "HSCAN h 0", "TYPE h",
            "SADD st 1 2 3", "SADD st 2", "SREM st 3", "SISMEMBER st 1", "SMISMEMBER st 1 9", "SCARD st", "SMEMBERS st",
            "SADD st2 2 4", "SUNION st st2", "SINTER st st2", "SDIFF st st2", "SUNIONSTORE su st st2", "SINTERSTORE si st st2",
            "SDIFFSTORE sd st st2", "SMOVE st st2 1", "SMEMBERS st2", "SSCAN st2 0", "SPOP si", "SRANDMEMBER sd", "TYPE st2",
            "RPUSH l a b c", "LPUSH l z", "LPUSHX l y", "RPUSHX nolist x", "LRANGE l 0 -1", "LRANGE l -2 -1", "LINDEX l -1",
            "LSET l 0 Z", "LLEN l", "LPOP l", "RPOP l 2", "RPUSH l b b c", "LREM l 2 b", "LTRIM l 0 1", "LRANGE l 0 -1",
            "LMOVE l l2 LEFT RIGHT", "RPOPLPUSH l l2", "LRANGE l2 0 -1", "TYPE l2", "GET h", "HGET s a", "LPUSH h x",
            "MULTI", "SET m 1", "INCR m", "HSET mh f v", "EXEC", "MULTI", "SET m 5", "DISCARD", "GET m",
            "WATCH m", "UNWATCH", "PUBLISH news hello", "PUBSUB NUMPAT", "PUBSUB NUMSUB news",
            "DBSIZE", "FLUSHDB", "DBSIZE",
        ];

        using var redisServer = new RedisServerProcess();
        using var server = RespServers.Start(out var port);
        var input = Path.Combine(server.Data.Path, "every-command.txt");
        File.WriteAllText(input, string.Join('\n', script) + "\n");
        string Run(int target)
        {
            var (code, output) = RedisTools.Run("/bin/sh", "-c", $"{RedisTools.Cli} -p {target} < {input}");
            Assert.True(code == 0, output);
            return output;
        }

        var expected = Run(redisServer.Port).Split('\n');
        var actual = Run(port).Split('\n');
        Assert.True(expected.Length > script.Length, string.Join('\n', expected));   // every command answered
        for (var i = 0; i < Math.Max(expected.Length, actual.Length); i++)
        {
            Assert.True(i < expected.Length && i < actual.Length && expected[i] == actual[i],
                $"line {i}: redis '{(i < expected.Length ? expected[i] : "")}', quire '{(i < actual.Length ? actual[i] : "")}'\nquire's output:\n{string.Join('\n', actual)}");
        }
    }
}
