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
}
