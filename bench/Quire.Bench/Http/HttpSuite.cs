using System.Diagnostics;
using System.Net;
using System.Text;
using Quire.Bench.Documents;
using Quire.Bench.Harness;
using Quire.Server;

namespace Quire.Bench.Http;

/// <summary>
/// Suite <c>http</c>: the server (in this process, sync durability) and its load generator
/// share the machine's cores. Single-document puts over 64 HTTP/1.1 keep-alive
/// connections and over 64 streams of one h2c connection; 8 clients posting batches of
/// 500 block documents (sorted height, eq miner); the p99 of point queries while writers
/// run; and the time from a restart to the first answered query.
/// </summary>
public static class HttpSuite
{
    public static void Run(BenchRun run)
    {
        var (report, quick) = (run.Report, run.Quick);
        var warmup = TimeSpan.FromSeconds(quick ? 0.5 : 3);
        var window = TimeSpan.FromSeconds(quick ? 1.5 : 4);
        using var dir = new BenchDirectory("quire-http");
        var (port, h2cPort) = (Loopback.FreePort(), Loopback.FreePort());
        var options = new ServerOptions { Port = port, H2cPort = h2cPort, DataRoot = dir.Path };
        using var stop = new CancellationTokenSource();
        var server = Task.Run(() => QuireServer.RunAsync(options, stop.Token));
        using var h1 = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 64 }) { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        using var h2 = new HttpClient(new SocketsHttpHandler { EnableMultipleHttp2Connections = false })
        {
            BaseAddress = new Uri($"http://127.0.0.1:{h2cPort}"),
            DefaultRequestVersion = HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        Loopback.WaitForHealth(h1);
        Post(h1, "/v1/databases", """{"name": "bench", "init": {"indexes": [["blocks", "height", "sorted"], ["blocks", "miner"]]}}""").GetAwaiter().GetResult();

        // HTTP/1.1 load comes from lean connections (as wrk's would), so the client's share
        // of the two cores is small; HTTP/2 needs a real client's framing: HttpClient's.
        var connections = Enumerable.Range(0, 64).Select(_ => RawHttp1Connection.ConnectAsync(port).GetAwaiter().GetResult()).ToArray();
        run.Gc.Reset();
        long n = 0;
        var putH1 = ClosedLoop.RunAsync(64, warmup, window, async (w, r) => await connections[w].PostAsync("/v1/databases/bench/put", PutBody(Interlocked.Increment(ref n))), () => { });
        report.Add(new BenchResult("quire", "put-h1-c64", putH1, "ops/s"));
        var putH2 = ClosedLoop.RunAsync(64, warmup, window, async (w, r) => await Post(h2, "/v1/databases/bench/put", PutBody(Interlocked.Increment(ref n))), () => { });
        report.Add(new BenchResult("quire", "put-h2-s64", putH2, "ops/s"));

        var random = new Random(3);
        long height = 0;
        var batch = ClosedLoop.RunAsync(8, warmup, window, async (w, r) =>
        {
            await connections[w].PostAsync("/v1/databases/bench/batch", BatchBody(r, ref height));
        }, () => { });
        report.Add(new BenchResult("quire", "batch500", batch * 500, "docs/s"));

        // Point queries while writers commit at half of put-h1-c64's rate (32 writers, each paced).
        var latencies = new List<double>();
        using (var writing = new CancellationTokenSource())
        {
            var interval = TimeSpan.FromSeconds(32 / Math.Max(1, putH1 / 2));
            var writers = Enumerable.Range(0, 32).Select(_ => Task.Run(async () =>
            {
                var next = Stopwatch.GetTimestamp();
                while (!writing.IsCancellationRequested)
                {
                    await Post(h1, "/v1/databases/bench/put", PutBody(Interlocked.Increment(ref n)));
                    next += (long)(interval.TotalSeconds * Stopwatch.Frequency);
                    var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), next);
                    if (wait > TimeSpan.Zero)
                    {
                        await Task.Delay(wait);
                    }
                }
            })).ToArray();
            var until = Stopwatch.StartNew();
            while (until.Elapsed < window + warmup)
            {
                var id = random.NextInt64(1, Math.Max(2, Interlocked.Read(ref n)));
                var started = Stopwatch.GetTimestamp();
                Post(h1, "/v1/databases/bench/query", $"{{\"nql\": \"FROM kv WHERE _id = \\\"k{id}\\\"\"}}").GetAwaiter().GetResult();
                latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }

            writing.Cancel();
            Task.WaitAll(writers);
        }

        latencies.Sort();
        report.Add(new BenchResult("quire", "read-p99-under-writes", latencies[(int)(latencies.Count * 0.99)], "ms"));
        report.Add(new BenchResult("quire", "gc-pause-max", run.Gc.MaxPause.TotalMilliseconds, "ms"));

        // The restart case is about a database of 1,000,000 documents: load what the cases left short of that (not timed).
        var target = quick ? 100_000L : 1_000_000L;
        var documents = Interlocked.Read(ref n) + Interlocked.Read(ref height);
        Task.WaitAll(Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            var r = new Random(100 + w);
            while (Interlocked.Add(ref documents, 500) - 500 < target)
            {
                await connections[w].PostAsync("/v1/databases/bench/batch", BatchBody(r, ref height));
            }
        })).ToArray());
        Console.WriteLine($"  (restarting with {Interlocked.Read(ref n) + Interlocked.Read(ref height):N0} documents)");
        foreach (var connection in connections)
        {
            connection.Dispose();
        }

        // Restart: stop (last checkpoint), start again, time to the first answered query.
        stop.Cancel();
        server.GetAwaiter().GetResult();
        using var again = new CancellationTokenSource();
        var restarted = Stopwatch.GetTimestamp();
        var second = Task.Run(() => QuireServer.RunAsync(options, again.Token));
        using var fresh = new HttpClient { BaseAddress = h1.BaseAddress };
        while (true)
        {
            try
            {
                Post(fresh, "/v1/databases/bench/query", """{"nql": "FROM blocks ORDER BY height DESC LIMIT 1"}""").GetAwaiter().GetResult();
                break;
            }
            catch (HttpRequestException)
            {
                Thread.Sleep(5);
            }
        }

        report.Add(new BenchResult("quire", "restart-first-query", Stopwatch.GetElapsedTime(restarted).TotalMilliseconds, "ms"));
        again.Cancel();
        second.GetAwaiter().GetResult();
        Console.WriteLine();
        Console.WriteLine($"  goals: put-h1-c64 >= 20,000/s, put-h2-s64 >= 12,000/s, batch500 >= 100,000 docs/s");
    }

    private static readonly string Pad = new('x', 150);

    /// <summary>A batch of 500 block documents at the next heights.</summary>
    private static string BatchBody(Random random, ref long height)
    {
        var ops = new StringBuilder("{\"ops\": [");
        for (var i = 0; i < 500; i++)
        {
            var block = Block.Create(random, Interlocked.Increment(ref height));
            ops.Append(i == 0 ? "" : ",").Append("{\"op\":\"put\",\"coll\":\"blocks\",\"id\":\"").Append(block.Id).Append("\",\"doc\":").Append(block.Json).Append('}');
        }

        return ops.Append("]}").ToString();
    }

    private static string PutBody(long n) => "{\"coll\": \"kv\", \"id\": \"k" + n + "\", \"doc\": {\"v\": " + n + ", \"pad\": \"" + Pad + "\"}}";

    private static async Task Post(HttpClient client, string path, string json)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Version = client.DefaultRequestVersion, VersionPolicy = client.DefaultVersionPolicy, Content = new StringContent(json, Encoding.UTF8, "application/json") };
        using var response = await client.SendAsync(request);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }

        await response.Content.ReadAsByteArrayAsync();
    }
}
