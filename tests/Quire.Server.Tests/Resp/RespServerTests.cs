using System.Net;
using System.Text.Json;

namespace Quire.Server.Tests.Resp;

/// <summary>The Redis port of a real server process, driven over raw RESP: replies and errors as Redis gives them.</summary>
public class RespServerTests
{
    private static (ServerProcess Server, int Port) Start(string? token = null)
    {
        var port = ServerProcess.FreePort();
        return (new ServerProcess(token, null, "--resp2-port", port.ToString(System.Globalization.CultureInfo.InvariantCulture)), port);
    }

    [Fact]
    public async Task An_http_post_to_the_redis_port_is_closed_before_its_body_runs_as_commands()
    {
        var (server, port) = Start();
        using var _ = server;
        using (var page = new System.Net.Sockets.TcpClient())
        {
            // What a web page's fetch('http://127.0.0.1:<port>', {method: 'POST', body}) sends.
            await page.ConnectAsync(IPAddress.Loopback, port);
            var stream = page.GetStream();
            await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(
                $"POST / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nSET pwned 1\r\n"));
            var buffer = new byte[1024];
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try
            {
                while (await stream.ReadAsync(buffer, timeout.Token) > 0)
                {
                }
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException)
            {
                // Closed by a reset (closed all the same), or left open: the key below tells.
            }
        }

        using var redis = new RespClient(port);
        Assert.Equal("(nil)", redis.Call("GET", "pwned"));
        Assert.True(server.Printed("an HTTP request arrived on the Redis port"), server.Output);
    }

    [Fact]
    public void Strings_answer_with_redis_replies_and_errors()
    {
        var (server, port) = Start();
        using var _ = server;
        using var redis = new RespClient(port);
        Assert.Equal("PONG", redis.Call("PING"));
        Assert.Equal("OK", redis.Call("SET", "k", "v"));
        Assert.Equal("v", redis.Call("GET", "k"));
        Assert.Equal("(nil)", redis.Call("GET", "missing"));
        Assert.Equal("(nil)", redis.Call("SET", "k", "x", "NX"));
        Assert.Equal("v", redis.Call("SET", "k", "v2", "XX", "GET"));
        Assert.Equal("v2", redis.Call("GET", "k"));
        Assert.Equal("(nil)", redis.Call("SET", "nope", "x", "XX"));
        Assert.Equal(":0", redis.Call("EXISTS", "nope"));
        Assert.Equal("-ERR syntax error", redis.Call("SET", "k", "v", "NX", "XX"));
        Assert.Equal("-ERR invalid expire time in 'set' command", redis.Call("SET", "k", "v", "EX", "0"));
        Assert.Equal("-ERR value is not an integer or out of range", redis.Call("SET", "k", "v", "EX", "soon"));
        Assert.Equal("-ERR wrong number of arguments for 'get' command", redis.Call("GET"));
        Assert.Equal("-ERR unknown command 'NOSUCH', with args beginning with: 'a' 'b'", redis.Call("NOSUCH", "a", "b"));

        Assert.Equal("-ERR value is not an integer or out of range", redis.Call("INCR", "k"));
        Assert.Equal(":1", redis.Call("INCR", "n"));
        Assert.Equal(":-9", redis.Call("DECRBY", "n", "10"));
        Assert.Equal("OK", redis.Call("SET", "max", long.MaxValue));
        Assert.Equal("-ERR increment or decrement would overflow", redis.Call("INCR", "max"));
        Assert.Equal("-ERR value is not an integer or out of range", redis.Call("INCRBY", "n", "1.5"));
        Assert.Equal("3.5", redis.Call("INCRBYFLOAT", "f", "3.5"));

        Assert.Equal(":4", redis.Call("APPEND", "s", "abcd"));
        Assert.Equal(":6", redis.Call("APPEND", "s", "ef"));
        Assert.Equal(":6", redis.Call("STRLEN", "s"));
        Assert.Equal("abcdef", redis.Call("GETDEL", "s"));
        Assert.Equal("(nil)", redis.Call("GET", "s"));
        Assert.Equal(":1", redis.Call("SETNX", "once", "1"));
        Assert.Equal(":0", redis.Call("SETNX", "once", "2"));
        Assert.Equal("OK", redis.Call("MSET", "a", "1", "b", "2"));
        Assert.Equal("[1, 2, (nil)]", redis.Call("MGET", "a", "b", "c"));
        Assert.Equal(":0", redis.Call("MSETNX", "a", "9", "c", "3"));
        Assert.Equal("(nil)", redis.Call("GET", "c"));
        Assert.Equal("-ERR wrong number of arguments for 'mset' command", redis.Call("MSET", "a", "1", "b"));
        Assert.Equal(":2", redis.Call("DEL", "a", "b", "c"));
        Assert.Equal("string", redis.Call("TYPE", "k"));
        Assert.Equal("none", redis.Call("TYPE", "a"));
        Assert.Equal("f, k, max, n, once", string.Join(", ", redis.Call("KEYS", "*").Trim('[', ']').Split(", ").Order()));
        Assert.Equal("[max]", redis.Call("KEYS", "m?x"));
        Assert.Equal(":5", redis.Call("DBSIZE"));

        Assert.Equal("OK", redis.Call("SET", "from", "moved", "EX", "100"));
        Assert.Equal("OK", redis.Call("RENAME", "from", "to"));
        Assert.Equal("(nil)", redis.Call("GET", "from"));
        Assert.Equal("moved", redis.Call("GET", "to"));
        Assert.Equal(":100", redis.Call("TTL", "to"));   // the expiry goes with the value
        Assert.Equal(":0", redis.Call("RENAMENX", "to", "k"));
        Assert.Equal(":1", redis.Call("RENAMENX", "to", "fresh"));
        Assert.Equal("-ERR no such key", redis.Call("RENAME", "to", "x"));
    }

    [Fact]
    public void Scan_walks_every_key_once_with_cursors_match_and_count()
    {
        var (server, port) = Start();
        using var _ = server;
        using var redis = new RespClient(port);
        for (var i = 0; i < 25; i++)
        {
            Assert.Equal("OK", redis.Call("SET", $"user:{i}", "x"));
        }

        Assert.Equal("OK", redis.Call("SET", "other", "x"));
        var seen = new List<string>();
        var cursor = "0";
        var calls = 0;
        do
        {
            var reply = redis.Call("SCAN", cursor, "MATCH", "user:*", "COUNT", "10");   // [cursor, [keys]]
            var parts = reply[1..^1].Split(", [", 2);
            cursor = parts[0];
            seen.AddRange(parts[1].TrimEnd(']').Split(", ", StringSplitOptions.RemoveEmptyEntries));
            calls++;
        }
        while (cursor != "0");
        Assert.Equal(Enumerable.Range(0, 25).Select(i => $"user:{i}").Order(), seen.Order());
        Assert.Equal(3, calls);   // 26 keys, 10 looked at per call
        Assert.Equal("-ERR invalid cursor", redis.Call("SCAN", "12345"));
        Assert.Equal("-ERR syntax error", redis.Call("SCAN", "0", "COUNT", "0"));
        Assert.Equal("[0, []]", redis.Call("SCAN", "0", "TYPE", "hash", "COUNT", "100"));   // no hashes among the 26 keys
    }

    [Fact]
    public async Task Any_byte_string_is_a_key_or_a_value_and_nql_sees_it_encoded()
    {
        var (server, port) = Start();
        using var _ = server;
        using var redis = new RespClient(port);
        byte[] binaryKey = [0xFF, 0x00, (byte)'a'];
        byte[] binaryValue = [0xC3, 0x28, 0x00, 0x0D, 0x0A];
        Assert.Equal("OK", redis.Call("SET", binaryKey, binaryValue));
        Assert.Equal(binaryValue, redis.CallRaw("GET", binaryKey));
        Assert.Equal("OK", redis.Call("SET", Array.Empty<byte>(), "empty key"));
        Assert.Equal("empty key", redis.Call("GET", Array.Empty<byte>()));
        Assert.Equal("OK", redis.Call("SET", "~tilde", "héllo"));
        Assert.Equal("héllo", redis.Call("GET", "~tilde"));
        Assert.Equal("OK", redis.Call("SET", "plain", "text"));

        var rows = (await server.SendAsync(HttpMethod.Post, "/v1/databases/db0/query", """{"nql": "FROM _kv"}""")).Body.GetProperty("rows");
        var byId = rows.EnumerateArray().ToDictionary(r => r.GetProperty("_id").GetString()!, r => r);
        Assert.Equal("text", byId["plain"].GetProperty("_v").GetString());
        Assert.Equal(Convert.ToBase64String(binaryValue), byId["~_wBh"].GetProperty("_b64").GetString());
        Assert.Equal("empty key", byId["~"].GetProperty("_v").GetString());
        Assert.Equal("héllo", byId["~fnRpbGRl"].GetProperty("_v").GetString());
    }

    [Fact]
    public void A_pipeline_of_sets_shares_its_fsyncs_and_reads_its_own_writes()
    {
        var (server, port) = Start();
        using var _ = server;
        using var redis = new RespClient(port);
        Assert.Equal("OK", redis.Call("SET", "warm", "up"));   // the database exists
        var before = Fsyncs(server);
        redis.SendRaw([.. Enumerable.Range(0, 64).SelectMany(i => RespClient.Encode("SET", $"p{i}", i)), .. RespClient.Encode("GET", "p63"), .. RespClient.Encode("INCR", "p0"), .. RespClient.Encode("GET", "p0")]);
        for (var i = 0; i < 64; i++)
        {
            Assert.Equal("OK", redis.Read());
        }

        Assert.Equal("63", redis.Read());
        Assert.Equal(":1", redis.Read());
        Assert.Equal("1", redis.Read());
        var fsyncs = Fsyncs(server) - before;
        Assert.True(fsyncs < 20, $"64 pipelined SETs took {fsyncs} fsyncs");
    }

    [Fact]
    public void Expiries_follow_redis_and_the_documents_ttl()
    {
        var (server, port) = Start();
        using var _ = server;
        using var redis = new RespClient(port);
        Assert.Equal("OK", redis.Call("SET", "k", "v", "PX", "400"));
        var pttl = long.Parse(redis.Call("PTTL", "k")[1..], System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(pttl, 1, 400);
        Assert.Equal(":-2", redis.Call("TTL", "missing"));
        Assert.Equal("OK", redis.Call("SET", "forever", "v"));
        Assert.Equal(":-1", redis.Call("TTL", "forever"));
        Assert.Equal(":1", redis.Call("EXPIRE", "forever", "100"));
        Assert.Equal(":100", redis.Call("TTL", "forever"));
        Assert.Equal(":0", redis.Call("EXPIRE", "forever", "50", "NX"));
        Assert.Equal(":1", redis.Call("PERSIST", "forever"));
        Assert.Equal(":-1", redis.Call("TTL", "forever"));
        Assert.Equal("OK", redis.Call("SET", "kept", "1", "EX", "100"));
        Assert.Equal(":2", redis.Call("INCR", "kept"));
        Assert.Equal(":100", redis.Call("TTL", "kept"));   // INCR keeps the expiry, as in Redis
        Assert.Equal("OK", redis.Call("SET", "kept", "3", "KEEPTTL"));
        Assert.Equal(":100", redis.Call("TTL", "kept"));
        Thread.Sleep(600);
        Assert.Equal("(nil)", redis.Call("GET", "k"));
        Assert.Equal(":1", redis.Call("EXPIRE", "kept", "0"));   // an expiry in the past deletes
        Assert.Equal(":0", redis.Call("EXISTS", "kept"));
    }

    [Fact]
    public async Task Hello_3_switches_to_resp3_and_select_and_auth_work_as_nedbd_says()
    {
        var (server, port) = Start(token: "s3cret");
        using var _ = server;
        using var redis = new RespClient(port);
        Assert.Equal("-NOAUTH Authentication required.", redis.Call("GET", "k"));
        Assert.StartsWith("-WRONGPASS", redis.Call("AUTH", "nope"), StringComparison.Ordinal);
        var hello = redis.Call("HELLO", "3", "AUTH", "default", "s3cret", "SETNAME", "tester");
        Assert.StartsWith("{server: redis, version: 7.2.0, proto: :3, id: :", hello, StringComparison.Ordinal);
        Assert.Equal("(nil)", redis.Call("GET", "k"));
        Assert.Equal("tester", redis.Call("CLIENT", "GETNAME"));
        Assert.Equal("OK", redis.Call("SET", "k", "zero"));
        Assert.Equal("OK", redis.Call("SELECT", "orders"));
        Assert.Equal("(nil)", redis.Call("GET", "k"));
        Assert.Equal("OK", redis.Call("SET", "k", "in orders"));
        Assert.Equal("OK", redis.Call("SELECT", "0"));   // Redis's database 0 is nedbd's db0
        Assert.Equal("zero", redis.Call("GET", "k"));
        Assert.Equal("-ERR invalid database name: 'no/pe'", redis.Call("SELECT", "no/pe"));
        var rows = redis.Call("EVAL", "FROM _kv WHERE _id = k", "0");
        Assert.Equal("zero", JsonDocument.Parse(rows.Trim('[', ']')).RootElement.GetProperty("_v").GetString());
        Assert.Equal("{databases: 16}", redis.Call("CONFIG", "GET", "databases"));
        Assert.Equal(HttpStatusCode.OK, (await server.SendAsync(HttpMethod.Get, "/v1/databases/orders")).Status);
    }

    private static long Fsyncs(ServerProcess server)
    {
        var metrics = server.Http.GetStringAsync("/metrics").GetAwaiter().GetResult();
        var line = metrics.Split('\n').First(l => l.StartsWith("quire_storage_fsync_seconds_count{db=\"db0\"}", StringComparison.Ordinal));
        return (long)double.Parse(line.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
    }
}
