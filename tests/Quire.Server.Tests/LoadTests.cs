using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Quire.TestSupport;

namespace Quire.Server.Tests;

/// <summary>Backpressure and crashes under load, against the real process; every load is bounded in count and time.</summary>
public class LoadTests
{
    [Fact]
    public async Task A_full_queue_answers_429_with_retry_after_and_loses_no_acknowledged_write()
    {
        using var server = new ServerProcess(null, null, "--max-queued-commits", "1", "--queue-wait-ms", "0");
        await server.SendAsync(HttpMethod.Post, "/v1/databases", """{"name": "flood"}""");
        var acknowledged = new ConcurrentBag<int>();
        var statuses = new ConcurrentBag<HttpStatusCode>();
        var retryAfter = 0;
        await Parallel.ForEachAsync(Enumerable.Range(0, 400), new ParallelOptions { MaxDegreeOfParallelism = 128 }, async (i, token) =>
        {
            using var content = new StringContent("{\"coll\": \"c\", \"id\": \"d" + i + "\", \"doc\": {\"n\": " + i + "}}", Encoding.UTF8, "application/json");
            using var response = await server.Http.PostAsync("/v1/databases/flood/put", content, token);
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.OK)
            {
                acknowledged.Add(i);
            }
            else if (response.StatusCode == HttpStatusCode.TooManyRequests && response.Headers.RetryAfter is not null)
            {
                Interlocked.Increment(ref retryAfter);
            }
        });

        Assert.All(statuses, s => Assert.True(s is HttpStatusCode.OK or HttpStatusCode.TooManyRequests, $"unexpected {s}"));
        Assert.Contains(HttpStatusCode.TooManyRequests, statuses);
        Assert.Equal(statuses.Count(s => s == HttpStatusCode.TooManyRequests), retryAfter);
        var stored = await server.SendAsync(HttpMethod.Post, "/v1/databases/flood/query", """{"nql": "FROM c"}""");
        var ids = stored.Body.GetProperty("rows").EnumerateArray().Select(r => r.GetProperty("_id").GetString()).ToHashSet();
        Assert.Equal(acknowledged.Count, ids.Count);    // a 429 write was never queued
        Assert.All(acknowledged, i => Assert.Contains($"d{i}", ids));
        var metrics = await server.Http.GetStringAsync("/metrics");
        Assert.Contains("quire_server_http_request_seconds_count{route=\"put\",status=\"429\"}", metrics, StringComparison.Ordinal);
        Assert.Contains("quire_storage_queue_depth{db=\"flood\"}", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_stalled_client_is_cut_off_and_others_are_served_meanwhile()
    {
        using var server = new ServerProcess();
        await server.SendAsync(HttpMethod.Post, "/v1/databases", """{"name": "slow"}""");
        using var stalled = new System.Net.Sockets.TcpClient();
        await stalled.ConnectAsync(IPAddress.Loopback, server.Port);
        var stream = stalled.GetStream();
        var head = "POST /v1/databases/slow/put HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n{\"coll\": \"c\"";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head));

        // Others are served while it stalls.
        Assert.Equal(HttpStatusCode.OK, (await server.SendAsync(HttpMethod.Post, "/v1/databases/slow/put", """{"coll": "c", "id": "a", "doc": {}}""")).Status);

        // Below the minimum data rate (after its grace period) the server drops the request.
        var buffer = new byte[4096];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var read = 0;
        try
        {
            int n;
            while ((n = await stream.ReadAsync(buffer, timeout.Token)) > 0)
            {
                read += n;
            }
        }
        catch (IOException)
        {
            // Reset by the server: as good as closed.
        }

        Assert.False(timeout.IsCancellationRequested, "the stalled request was still open after 20 s");
        Assert.Equal(HttpStatusCode.OK, (await server.SendAsync(HttpMethod.Get, "/health")).Status);
    }

    [Fact]
    public async Task Writes_that_wait_for_room_all_succeed()
    {
        using var server = new ServerProcess(null, null, "--max-queued-commits", "1", "--queue-wait-ms", "20000");
        await server.SendAsync(HttpMethod.Post, "/v1/databases", """{"name": "wait"}""");
        var results = await Task.WhenAll(Enumerable.Range(0, 200).Select(i =>
            server.SendAsync(HttpMethod.Post, "/v1/databases/wait/put", "{\"coll\": \"c\", \"id\": \"d" + i + "\", \"doc\": {}}")));
        Assert.All(results, r => Assert.Equal(HttpStatusCode.OK, r.Status));
    }

    [Fact]
    public async Task Bodies_on_busy_keep_alive_connections_arrive_intact()
    {
        // Each request's document must come from its own bytes: the server copies a body out
        // of Kestrel's buffers (which it reuses) before parsing it.
        using var server = new ServerProcess();
        await server.SendAsync(HttpMethod.Post, "/v1/databases", """{"name": "big"}""");
        static string Pad(int i) => string.Concat(Enumerable.Range(0, 600).Select(j => (char)('a' + ((i * 7 + j) % 26))));
        await Task.WhenAll(Enumerable.Range(0, 32).Select(w => Task.Run(async () =>
        {
            for (var k = 0; k < 25; k++)
            {
                var i = (w * 25) + k;
                var (status, body) = await server.SendAsync(HttpMethod.Post, "/v1/databases/big/put", "{\"coll\": \"c\", \"id\": \"d" + i + "\", \"doc\": {\"pad\": \"" + Pad(i) + "\"}}");
                Assert.Equal(HttpStatusCode.OK, status);
                Assert.Equal(Pad(i), body.GetProperty("doc").GetProperty("pad").GetString());
            }
        })));
        var count = await server.SendAsync(HttpMethod.Post, "/v1/databases/big/query", """{"nql": "FROM c GROUP BY x COUNT"}""");
        Assert.Equal(800, count.Body.GetProperty("rows")[0].GetProperty("count").GetInt32());
    }

    [Fact]
    public async Task After_a_sigkill_during_a_write_flood_every_acknowledged_write_is_there_and_no_batch_is_partial()
    {
        using var data = new TempDirectory("quire-server");
        var acknowledged = new ConcurrentBag<int>();
        using (var server = new ServerProcess(data: data))
        {
            await server.SendAsync(HttpMethod.Post, "/v1/databases", """{"name": "k"}""");
            using var flooding = new CancellationTokenSource(TimeSpan.FromSeconds(1.5));
            var next = 0;
            var writers = Enumerable.Range(0, 32).Select(_ => Task.Run(async () =>
            {
                while (!flooding.IsCancellationRequested)
                {
                    var n = Interlocked.Increment(ref next);
                    var body = "{\"ops\": [" + string.Join(", ", Enumerable.Range(0, 3).Select(j => "{\"op\": \"put\", \"coll\": \"c\", \"id\": \"b" + n + "-" + j + "\", \"doc\": {\"batch\": " + n + "}}")) + "]}";
                    try
                    {
                        var (status, _) = await server.SendAsync(HttpMethod.Post, "/v1/databases/k/batch", body);
                        if (status == HttpStatusCode.OK)
                        {
                            acknowledged.Add(n);
                        }
                    }
                    catch (HttpRequestException)
                    {
                        return; // the server is gone
                    }
                }
            })).ToArray();
            await Task.Delay(800);
            server.Kill();
            await Task.WhenAll(writers);
        }

        Assert.NotEmpty(acknowledged);
        using var restarted = new ServerProcess(data: data);
        var rows = await restarted.SendAsync(HttpMethod.Post, "/v1/databases/k/query", """{"nql": "FROM c GROUP BY batch COUNT"}""");
        var batches = rows.Body.GetProperty("rows").EnumerateArray().ToDictionary(r => r.GetProperty("batch").GetInt32(), r => r.GetProperty("count").GetInt32());
        Assert.All(batches, b => Assert.Equal(3, b.Value));                    // all three documents of a batch, or none
        Assert.All(acknowledged, n => Assert.True(batches.ContainsKey(n), $"acknowledged batch {n} is missing"));
        Assert.True((await restarted.SendAsync(HttpMethod.Get, "/v1/databases/k/verify")).Body.GetProperty("ok").GetBoolean());
    }
}
