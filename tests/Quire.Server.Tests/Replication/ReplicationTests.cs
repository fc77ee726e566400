using System.Net;
using Quire.TestSupport;

namespace Quire.Server.Tests.Replication;

/// <summary>
/// A primary and a replica as two server processes on loopback: the replica follows every
/// database, ends equal to the primary (documents, seqs, head) through a mixed workload,
/// checkpoints and restarts of either side, and refuses writes.
/// </summary>
public class ReplicationTests
{
    private static async Task<(long Seq, string Head, string Rows)> StateAsync(ServerProcess server, string db)
    {
        var (status, body) = await server.SendAsync(HttpMethod.Post, $"/v1/databases/{db}/query", """{"nql": "FROM users"}""");
        Assert.Equal(HttpStatusCode.OK, status);
        return (body.GetProperty("seq").GetInt64(), body.GetProperty("head").GetString()!, body.GetProperty("rows").GetRawText());
    }

    /// <summary>How many times the replica made its <c>shop</c> from a copy (its metrics).</summary>
    private static async Task<int> CopiesAsync(ServerProcess replica)
    {
        using var http = new HttpClient();
        var metrics = await http.GetStringAsync($"http://127.0.0.1:{replica.Port}/metrics");
        var line = metrics.Split('\n').Single(l => l.StartsWith("quire_server_replica_copies{db=\"shop\"}", StringComparison.Ordinal));
        return int.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
    }

    private static async Task CaughtUpAsync(ServerProcess primary, ServerProcess replica, string db)
    {
        var want = await StateAsync(primary, db);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var (status, _) = await replica.SendAsync(HttpMethod.Get, $"/v1/databases/{db}");
            if (status == HttpStatusCode.OK && await StateAsync(replica, db) == want)
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"the replica did not catch up with seq {want.Seq}:\n{replica.Output}");
            await Task.Delay(50);
        }
    }

    private static async Task WriteAsync(ServerProcess primary, Random random, int count)
    {
        for (var i = 0; i < count; i++)
        {
            var id = $"u{random.Next(40)}";
            var (status, _) = random.Next(6) switch
            {
                0 => await primary.SendAsync(HttpMethod.Delete, $"/v1/databases/shop/rows/users/{id}"),
                1 => await primary.SendAsync(HttpMethod.Post, "/v1/databases/shop/batch", $$$"""{"ops": [{"op": "put", "coll": "users", "id": "{{{id}}}", "doc": {"age": {{{random.Next(90)}}}}}, {"op": "link", "frm": "users:{{{id}}}", "rel": "knows", "to": "users:u0"}]}"""),
                _ => await primary.SendAsync(HttpMethod.Post, "/v1/databases/shop/put", $$$"""{"coll": "users", "id": "{{{id}}}", "doc": {"age": {{{random.Next(90)}}}, "i": {{{i}}}}}"""),
            };
            Assert.Equal(HttpStatusCode.OK, status);
        }
    }

    [Fact]
    public async Task A_replica_follows_every_database_through_checkpoints_and_restarts_of_either_side_and_refuses_writes()
    {
        using var primaryData = new TempDirectory("quire-primary");
        using var replicaData = new TempDirectory("quire-replica");
        var primaryPort = ServerProcess.FreePort();
        var primary = new ServerProcess(primaryPort, null, primaryData);
        var replicaArgs = new[] { "--replica-of", $"http://127.0.0.1:{primaryPort}" };
        var replica = new ServerProcess(null, replicaData, replicaArgs);
        try
        {
            var random = new Random(7);
            Assert.Equal(HttpStatusCode.Created, (await primary.SendAsync(HttpMethod.Post, "/v1/databases", """{"name": "shop", "init": {"indexes": [["users", "age"]]}}""")).Status);
            await WriteAsync(primary, random, 150);
            Assert.Equal(HttpStatusCode.OK, (await primary.SendAsync(HttpMethod.Post, "/v1/databases/shop/checkpoint")).Status);
            await WriteAsync(primary, random, 150);
            await CaughtUpAsync(primary, replica, "shop");

            // The replica refuses writes, says what it is, and answers queries with the primary's index.
            var (refused, error) = await replica.SendAsync(HttpMethod.Post, "/v1/databases/shop/put", """{"coll": "users", "id": "x", "doc": {}}""");
            Assert.Equal(HttpStatusCode.Forbidden, refused);
            Assert.Equal($"read-only replica of http://127.0.0.1:{primaryPort}", error.GetProperty("error").GetString());
            Assert.Equal(HttpStatusCode.Forbidden, (await replica.SendAsync(HttpMethod.Post, "/v1/databases", """{"name": "other"}""")).Status);
            var (_, health) = await replica.SendAsync(HttpMethod.Get, "/health");
            Assert.Equal("replica", health.GetProperty("role").GetString());
            Assert.Equal($"http://127.0.0.1:{primaryPort}", health.GetProperty("primary").GetString());
            Assert.Equal(0, health.GetProperty("lag_ops").GetInt64());
            Assert.Equal("HTTP/1.1", health.GetProperty("stream_protocol").GetString());   // the URL given speaks HTTP/1.1 only
            Assert.Equal("primary", (await primary.SendAsync(HttpMethod.Get, "/health")).Body.GetProperty("role").GetString());
            var (_, plan) = await replica.SendAsync(HttpMethod.Post, "/v1/databases/shop/explain", """{"nql": "FROM users WHERE age > 50"}""");
            Assert.Contains("age", plan.GetRawText(), StringComparison.Ordinal);

            // A restarted replica resumes from its own seq.
            replica.Dispose();
            await WriteAsync(primary, random, 100);
            replica = new ServerProcess(null, replicaData, replicaArgs);
            await CaughtUpAsync(primary, replica, "shop");

            // A restarted primary: the replica reconnects; a database made later is followed too.
            primary.Dispose();
            primary = new ServerProcess(primaryPort, null, primaryData);
            await WriteAsync(primary, random, 100);
            Assert.Equal(HttpStatusCode.Created, (await primary.SendAsync(HttpMethod.Post, "/v1/databases", """{"name": "later"}""")).Status);
            Assert.Equal(HttpStatusCode.OK, (await primary.SendAsync(HttpMethod.Post, "/v1/databases/later/put", """{"coll": "users", "id": "a", "doc": {"age": 1}}""")).Status);
            await CaughtUpAsync(primary, replica, "shop");
            await CaughtUpAsync(primary, replica, "later");
            Assert.DoesNotContain("fail:", replica.Output, StringComparison.Ordinal);
            Assert.DoesNotContain("fail:", primary.Output, StringComparison.Ordinal);
        }
        finally
        {
            replica.Dispose();
            primary.Dispose();
        }
    }

    [Fact]
    public async Task A_stream_request_with_a_bad_cursor_or_replica_id_is_a_clear_400()
    {
        using var primary = new ServerProcess();
        await primary.SendAsync(HttpMethod.Post, "/v1/databases", """{"name": "shop"}""");
        var (status, body) = await primary.SendAsync(HttpMethod.Get, "/v1/databases/shop/replication?after_seq=x&replica=r1");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("after_seq must be a seq (>= -1)", body.GetProperty("error").GetString());
        (status, body) = await primary.SendAsync(HttpMethod.Get, "/v1/databases/shop/replication?after_seq=-1&replica=bad%20id");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.StartsWith("replica must be an id", body.GetProperty("error").GetString(), StringComparison.Ordinal);
        (status, _) = await primary.SendAsync(HttpMethod.Post, "/v1/databases/shop/replication/ack", """{"replica": "nobody", "seq": 3}""");
        Assert.Equal(HttpStatusCode.NotFound, status);
    }

    [Fact]
    public async Task Connections_cut_mid_stream_and_stalls_between_them_leave_the_replica_equal_and_resuming()
    {
        using var primary = new ServerProcess();
        using var proxy = new FaultyProxy(primary.Port);
        using var replica = new ServerProcess(null, null, "--replica-of", $"http://127.0.0.1:{proxy.Port}");
        Assert.Equal(HttpStatusCode.Created, (await primary.SendAsync(HttpMethod.Post, "/v1/databases", """{"name": "shop"}""")).Status);
        var random = new Random(11);
        for (var round = 0; round < 12; round++)
        {
            var writes = WriteAsync(primary, random, 60);
            await Task.Delay(random.Next(5, 60));
            if (round % 3 == 2)
            {
                proxy.Stalled = true;    // nothing moves for a while; the replica's stream waits
                await Task.Delay(1500);
                proxy.Stalled = false;
            }
            else
            {
                proxy.CutAll();          // wherever the stream is: often inside a record
            }

            await writes;
        }

        await CaughtUpAsync(primary, replica, "shop");
        Assert.True(proxy.Cuts > 0);
        Assert.True((await replica.SendAsync(HttpMethod.Get, "/v1/databases/shop/verify")).Body.GetProperty("ok").GetBoolean());
        Assert.DoesNotContain("fail:", replica.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Quire_promote_makes_a_running_replica_a_primary_and_says_so_once()
    {
        using var primary = new ServerProcess();
        using var replica = new ServerProcess(null, null, "--replica-of", $"http://127.0.0.1:{primary.Port}");
        var cli = ServerProcess.CliPath();
        var (code, output) = Resp.RedisTools.Run("dotnet", cli, "promote", "--url", $"http://127.0.0.1:{replica.Port}");
        Assert.True(code == 0, output);
        Assert.Contains("is a primary now", output, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Created, (await replica.SendAsync(HttpMethod.Post, "/v1/databases", """{"name": "mine"}""")).Status);
        (code, output) = Resp.RedisTools.Run("dotnet", cli, "promote", "--url", $"http://127.0.0.1:{replica.Port}");
        Assert.Equal(1, code);
        Assert.Contains("answered 409: this server is a primary already", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_new_replica_starts_from_a_copy_of_the_primarys_database_taken_while_writes_go_on()
    {
        using var primary = new ServerProcess();
        Assert.Equal(HttpStatusCode.Created, (await primary.SendAsync(HttpMethod.Post, "/v1/databases", """{"name": "shop", "init": {"indexes": [["users", "age"]]}}""")).Status);
        var random = new Random(21);
        await WriteAsync(primary, random, 300);
        using var replica = new ServerProcess(null, null, "--replica-of", $"http://127.0.0.1:{primary.Port}");
        await WriteAsync(primary, random, 300);   // while it copies
        await CaughtUpAsync(primary, replica, "shop");
        Assert.Equal(1, await CopiesAsync(replica));
        Assert.True((await replica.SendAsync(HttpMethod.Get, "/v1/databases/shop/verify")).Body.GetProperty("ok").GetBoolean());
        var (_, plan) = await replica.SendAsync(HttpMethod.Post, "/v1/databases/shop/explain", """{"nql": "FROM users WHERE age > 50"}""");
        Assert.Contains("age", plan.GetRawText(), StringComparison.Ordinal);   // the index came with the copy
    }

    [Fact]
    public async Task A_replica_pointed_at_the_primarys_h2c_port_streams_over_http2()
    {
        using var primary = new ServerProcess();
        using var replica = new ServerProcess(null, null, "--replica-of", $"http://127.0.0.1:{primary.H2cPort}");
        Assert.Equal(HttpStatusCode.Created, (await primary.SendAsync(HttpMethod.Post, "/v1/databases", """{"name": "shop"}""")).Status);
        await WriteAsync(primary, new Random(2), 100);
        await CaughtUpAsync(primary, replica, "shop");
        Assert.Equal("HTTP/2", (await replica.SendAsync(HttpMethod.Get, "/health")).Body.GetProperty("stream_protocol").GetString());
        await WriteAsync(primary, new Random(3), 50);   // live records too
        await CaughtUpAsync(primary, replica, "shop");
    }

    [Fact]
    public async Task A_replica_that_falls_further_behind_than_the_log_limit_is_cut_off_and_starts_again_from_a_copy()
    {
        using var primary = new ServerProcess(ServerProcess.FreePort(), null, null, "--replica-max-log-bytes", "100000");
        using var proxy = new FaultyProxy(primary.Port);
        using var replica = new ServerProcess(null, null, "--replica-of", $"http://127.0.0.1:{proxy.Port}");
        Assert.Equal(HttpStatusCode.Created, (await primary.SendAsync(HttpMethod.Post, "/v1/databases", """{"name": "shop"}""")).Status);
        var random = new Random(5);
        await WriteAsync(primary, random, 50);
        await CaughtUpAsync(primary, replica, "shop");
        var copies = await CopiesAsync(replica);

        proxy.Stalled = true;   // the replica reads nothing and acks nothing while the primary writes on
        var pad = new string('x', 2000);
        for (var i = 0; i < 120; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await primary.SendAsync(HttpMethod.Post, "/v1/databases/shop/put", $$$"""{"coll": "users", "id": "p{{{i}}}", "doc": {"pad": "{{{pad}}}"}}""")).Status);
        }

        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!primary.Output.Contains("cut off", StringComparison.Ordinal))
        {
            Assert.True(DateTime.UtcNow < deadline, $"the primary kept the log for a replica past its limit:\n{primary.Output}");
            await Task.Delay(100);
        }

        await WriteAsync(primary, random, 20);   // after the cut: these reach the replica only through a copy
        proxy.Stalled = false;
        await CaughtUpAsync(primary, replica, "shop");
        Assert.Equal(copies + 1, await CopiesAsync(replica));
        Assert.True((await replica.SendAsync(HttpMethod.Get, "/v1/databases/shop/verify")).Body.GetProperty("ok").GetBoolean());
    }

    [Fact]
    public async Task A_replica_that_stops_reading_holds_the_primarys_sender_back_and_resumes_when_it_reads_again()
    {
        using var primary = new ServerProcess();
        Assert.Equal(HttpStatusCode.Created, (await primary.SendAsync(HttpMethod.Post, "/v1/databases", """{"name": "shop"}""")).Status);
        using var stuck = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
        await stuck.ConnectAsync(IPAddress.Loopback, primary.Port);
        await stuck.SendAsync(System.Text.Encoding.ASCII.GetBytes("GET /v1/databases/shop/replication?after_seq=-1&replica=stuck HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));

        // 100 MB of log while the replica reads nothing: what was sent to it stays within what the connection buffers.
        var pad = new string('x', 200_000);
        for (var i = 0; i < 500; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await primary.SendAsync(HttpMethod.Post, "/v1/databases/shop/put", $$$"""{"coll": "big", "id": "d{{{i % 10}}}", "doc": {"i": {{{i}}}, "pad": "{{{pad}}}"}}""")).Status);
        }

        await Task.Delay(1000);   // time for a sender that does not wait for its reader to read on
        var sent = await SentSeqAsync(primary, "stuck");
        Assert.InRange(sent, -1, 100);   // at most ~20 MB handed to the connection, not the 100 MB written

        // Reading again, the replica gets everything, in order, and the sender follows it.
        var received = 0L;
        var buffer = new byte[1 << 20];
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (await SentSeqAsync(primary, "stuck") < 499)
        {
            Assert.True(DateTime.UtcNow < deadline, $"the stream did not resume: sent seq {await SentSeqAsync(primary, "stuck")}");

            // Read what has arrived (a megabyte at most) before asking the metrics again: the
            // small receive buffer hands over a few kilobytes per call.
            var read = 0;
            do
            {
                read += await stuck.ReceiveAsync(buffer.AsMemory(read));
            }
            while (stuck.Available > 0 && read < buffer.Length);
            received += read;
        }

        Assert.True(received > 90_000_000, $"{received} bytes received");
    }

    private static async Task<long> SentSeqAsync(ServerProcess primary, string replica)
    {
        var metrics = await primary.Http.GetStringAsync("/metrics");
        var line = metrics.Split('\n').Single(l => l.StartsWith("quire_server_replica_sent_seq{", StringComparison.Ordinal)
            && l.Contains($"replica=\"{replica}\"", StringComparison.Ordinal) && l.Contains("db=\"shop\"", StringComparison.Ordinal));
        return long.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
    }
}
