using System.Globalization;

namespace Quire.Server.Tests.Resp;

/// <summary>
/// The same random command sequences against a real redis-server (started by the test) and
/// Quire, reply by reply: strings, counters, keys, hashes, sets, lists, expiries, type
/// errors and MULTI/EXEC, over a few keys so that types collide. Replies whose order Redis leaves open
/// (SMEMBERS, HGETALL, ...) are compared sorted.
/// </summary>
public class RedisDifferentialTests
{
    private static readonly string[] Keys = ["k0", "k1", "k2", "k3", "user:1"];
    private static readonly string[] Fields = ["f0", "f1", "f2"];
    private static readonly string[] Values = ["1", "10", "-3", "x", "abc", "", "7"];
    private static readonly HashSet<string> Unordered = new(StringComparer.OrdinalIgnoreCase) { "SMEMBERS", "SINTER", "SUNION", "SDIFF", "HKEYS", "HVALS" };

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void Random_command_sequences_get_the_replies_redis_gives(int seed)
    {
        using var redisServer = new RedisServerProcess();
        using var server = RespServers.Start(out var port);
        using var redis = new RespClient(redisServer.Port);
        using var quire = new RespClient(port);
        var random = new Random(seed);
        var history = new List<string>();
        for (var i = 0; i < 1000; i++)
        {
            var commands = random.Next(20) == 0 ? Transaction(random) : [Command(random)];
            foreach (var command in commands)
            {
                history.Add(string.Join(' ', command));
                var expected = Normalise(command[0], redis.Call(command));
                var actual = Normalise(command[0], quire.Call(command));
                Assert.True(expected == actual, $"seed {seed}, command {i}: {string.Join(' ', command)}\n redis: {expected}\n quire: {actual}\nlast commands:\n{string.Join('\n', history.TakeLast(15))}");
            }
        }
    }

    private static object[][] Transaction(Random random) =>
    [
        ["MULTI"],
        .. Enumerable.Range(0, random.Next(1, 4)).Select(_ => Command(random)).Where(c => !Unordered.Contains((string)c[0]) && (string)c[0] != "HGETALL"),
        ["EXEC"],
    ];

    private static string Normalise(object command, string reply)
    {
        var name = (string)command;
        if (Unordered.Contains(name) && reply.StartsWith('['))
        {
            return "[" + string.Join(", ", reply[1..^1].Split(", ", StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal)) + "]";
        }

        if (name == "TTL" && reply.StartsWith(':') && !reply.StartsWith(":-", StringComparison.Ordinal))
        {
            return ":(seconds left)";   // the two servers are a few milliseconds apart
        }

        if (name == "HGETALL" && reply.StartsWith('['))
        {
            var items = reply[1..^1].Split(", ");
            return string.Join(", ", items.Chunk(2).Select(p => string.Join('=', p)).Order(StringComparer.Ordinal));
        }

        return reply;
    }

    private static object[] Command(Random random)
    {
        string K() => Keys[random.Next(Keys.Length)];
        string F() => Fields[random.Next(Fields.Length)];
        string V() => Values[random.Next(Values.Length)];
        string I() => random.Next(-4, 5).ToString(CultureInfo.InvariantCulture);
        return random.Next(62) switch
        {
            0 => ["SET", K(), V()],
            1 => ["GET", K()],
            2 => ["SETNX", K(), V()],
            3 => ["GETSET", K(), V()],
            4 => ["APPEND", K(), V()],
            5 => ["STRLEN", K()],
            6 => ["INCR", K()],
            7 => ["INCRBY", K(), I()],
            8 => ["DECR", K()],
            9 => ["MGET", K(), K()],
            10 => ["MSET", K(), V(), K(), V()],
            11 => ["GETDEL", K()],
            12 => ["SET", K(), V(), "NX"],
            13 => ["SET", K(), V(), "XX", "GET"],
            14 => ["DEL", K(), K()],
            15 => ["EXISTS", K(), K()],
            16 => ["TYPE", K()],
            17 => ["RENAME", K(), K()],
            18 => ["RENAMENX", K(), K()],
            19 => ["HSET", K(), F(), V(), F(), V()],
            20 => ["HGET", K(), F()],
            21 => ["HDEL", K(), F(), F()],
            22 => ["HEXISTS", K(), F()],
            23 => ["HLEN", K()],
            24 => ["HINCRBY", K(), F(), I()],
            25 => ["HSETNX", K(), F(), V()],
            26 => ["HMGET", K(), F(), F()],
            27 => ["HSTRLEN", K(), F()],
            28 => ["HGETALL", K()],
            29 => ["HKEYS", K()],
            30 => ["HVALS", K()],
            31 => ["SADD", K(), V(), V()],
            32 => ["SREM", K(), V()],
            33 => ["SISMEMBER", K(), V()],
            34 => ["SCARD", K()],
            35 => ["SMEMBERS", K()],
            36 => ["SINTER", K(), K()],
            37 => ["SUNION", K(), K()],
            38 => ["SDIFF", K(), K()],
            39 => ["SUNIONSTORE", K(), K(), K()],
            40 => ["SMOVE", K(), K(), V()],
            41 => ["SMISMEMBER", K(), V(), V()],
            42 => ["LPUSH", K(), V()],
            43 => ["RPUSH", K(), V(), V()],
            44 => ["LPOP", K()],
            45 => ["RPOP", K()],
            46 => ["LPOP", K(), "2"],
            47 => ["LLEN", K()],
            48 => ["LRANGE", K(), I(), I()],
            49 => ["LINDEX", K(), I()],
            50 => ["LSET", K(), I(), V()],
            51 => ["LREM", K(), I(), V()],
            52 => ["LTRIM", K(), I(), I()],
            53 => ["LPUSHX", K(), V()],
            54 => ["RPOPLPUSH", K(), K()],
            55 => ["LMOVE", K(), K(), "LEFT", "RIGHT"],
            56 => ["HINCRBYFLOAT", K(), F(), "1.5"],
            57 => ["EXPIRE", K(), random.Next(8) == 0 ? "0" : "1000"],
            58 => ["TTL", K()],
            59 => ["PERSIST", K()],
            60 => ["EXPIRE", K(), "2000", "GT"],
            _ => ["SINTERSTORE", K(), K(), K()],
        };
    }
}
