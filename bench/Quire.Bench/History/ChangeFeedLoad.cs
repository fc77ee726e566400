using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Quire.Bench.Harness;
using Quire.Server;

namespace Quire.Bench.History;

/// <summary>
/// The change feed over HTTP, the server in this process (sync durability): <c>since-drain</c>
/// reads an op log of 500,000 ops (50,000 in a quick run) in pages of 10,000 as a catching-up
/// consumer would; <c>changes-p99-ms</c> keeps 10 <c>changes</c> streams open while paced
/// writers land 5,000 single-document puts a second, and measures for every op and every
/// stream the time from the put's acknowledgement (its response read by the writer) to
/// the event read by the subscriber; an event read before the acknowledgement counts as 0.
/// </summary>
internal static class ChangeFeedLoad
{
    private const int Subscribers = 10;
    private const int WritesPerSecond = 5_000;
    private const int Writers = 32;

    public static void Run(BenchRun run)
    {
        var quick = run.Quick;
        using var dir = new BenchDirectory("quire-feed");
        var port = Loopback.FreePort();
        using var stop = new CancellationTokenSource();
        var server = Task.Run(() => QuireServer.RunAsync(new ServerOptions { Port = port, H2cPort = 0, DataRoot = dir.Path }, stop.Token));
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 64 }) { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        Loopback.WaitForHealth(http);
        Send(http, HttpMethod.Post, "/v1/databases", """{"name": "feed"}""");

        var ops = quick ? 50_000 : 500_000;
        Console.WriteLine($"  (writing {ops:N0} ops for since)");
        var body = new StringBuilder();
        for (var i = 0; i < ops; i += 1000)
        {
            body.Clear().Append("{\"ops\": [");
            for (var j = 0; j < 1000; j++)
            {
                body.Append(j == 0 ? "" : ",").Append(CultureInfo.InvariantCulture, $"{{\"op\":\"put\",\"coll\":\"c\",\"id\":\"k{i + j}\",\"doc\":{{\"v\":{i + j},\"pad\":\"0123456789abcdef0123456789abcdef\"}}}}");
            }

            Send(http, HttpMethod.Post, "/v1/databases/feed/batch", body.Append("]}").ToString());
        }

        run.Report.Add(new BenchResult("quire", "since-drain", Median.Of(quick ? 2 : 3, () => Drain(http, ops)), "ops/s"));
        run.Report.Add(new BenchResult("quire", "changes-p99-ms", ChangesP99(http, TimeSpan.FromSeconds(quick ? 3 : 10)), "ms"));
        stop.Cancel();
        server.GetAwaiter().GetResult();
    }

    /// <summary>Reads the whole op log from the start, page after page; returns ops per second.</summary>
    private static double Drain(HttpClient http, int expected)
    {
        var started = Stopwatch.GetTimestamp();
        long read = 0;
        var path = "/v1/databases/feed/since?limit=10000";
        while (true)
        {
            // As a lean consumer would: the page's bytes parsed as they came, no string in between.
            using var page = JsonDocument.Parse(http.GetByteArrayAsync(path).GetAwaiter().GetResult());
            read += page.RootElement.GetProperty("count").GetInt64();
            if (!page.RootElement.GetProperty("has_more").GetBoolean())
            {
                break;
            }

            path = $"/v1/databases/feed/since?limit=10000&after_seq={page.RootElement.GetProperty("to_seq").GetInt64()}";
        }

        var elapsed = Stopwatch.GetElapsedTime(started);
        if (read < expected)
        {
            throw new InvalidOperationException($"since drained {read} ops, expected at least {expected}");
        }

        return read / elapsed.TotalSeconds;
    }

    private static double ChangesP99(HttpClient http, TimeSpan window)
    {
        using var tip = JsonDocument.Parse(Send(http, HttpMethod.Get, "/v1/databases/feed/tip"));
        var from = tip.RootElement.GetProperty("tip").GetProperty("seq").GetInt64();
        var acknowledged = new ConcurrentDictionary<long, long>();
        var received = new ConcurrentBag<(long Seq, long At)>[Subscribers];
        using var done = new CancellationTokenSource();
        var streams = Enumerable.Range(0, Subscribers).Select(s =>
        {
            received[s] = [];
            return Task.Run(() => Subscribe(http, from, received[s], done.Token));
        }).ToArray();
        Thread.Sleep(500);   // the streams are open and drained

        var interval = Stopwatch.Frequency * Writers / WritesPerSecond;
        var writing = Stopwatch.StartNew();
        long n = 0;
        var writers = Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
        {
            var next = Stopwatch.GetTimestamp() + interval * w / Writers;
            while (writing.Elapsed < window)
            {
                var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), next);
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait);
                }

                next += interval;
                var id = Interlocked.Increment(ref n);
                using var content = new StringContent($"{{\"coll\":\"live\",\"id\":\"w{id}\",\"doc\":{{\"v\":{id}}}}}", Encoding.UTF8, "application/json");
                using var response = await http.PostAsync("/v1/databases/feed/put", content);
                var text = await response.Content.ReadAsStringAsync();
                var at = Stopwatch.GetTimestamp();
                using var json = JsonDocument.Parse(text);
                acknowledged[json.RootElement.GetProperty("seq").GetInt64()] = at;
            }
        })).ToArray();
        Task.WaitAll(writers);
        var landed = acknowledged.Count / writing.Elapsed.TotalSeconds;
        Thread.Sleep(1000);   // the last events arrive
        done.Cancel();
        Task.WaitAll(streams.Select(s => s.ContinueWith(_ => { }, TaskScheduler.Default)).ToArray());

        var latencies = new List<double>();
        var missing = 0;
        foreach (var bag in received)
        {
            var seen = bag.ToDictionary(e => e.Seq, e => e.At);
            foreach (var (seq, ackAt) in acknowledged)
            {
                if (seen.TryGetValue(seq, out var at))
                {
                    latencies.Add(Math.Max(0, Stopwatch.GetElapsedTime(ackAt, at).TotalMilliseconds));
                }
                else
                {
                    missing++;
                }
            }
        }

        if (missing > 0 || latencies.Count == 0)
        {
            throw new InvalidOperationException($"changes: {missing} events never arrived");
        }

        latencies.Sort();
        Console.WriteLine($"  (changes: {landed:N0} writes/s landed, {latencies.Count:N0} events, p50 {latencies[latencies.Count / 2]:F2} ms)");
        return latencies[(int)(latencies.Count * 0.99)];
    }

    private static async Task Subscribe(HttpClient http, long after, ConcurrentBag<(long Seq, long At)> received, CancellationToken done)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/databases/feed/changes?after_seq={after}");
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, done);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(done));
        while (await reader.ReadLineAsync(done) is { } line)
        {
            if (line.StartsWith("id: ", StringComparison.Ordinal))
            {
                received.Add((long.Parse(line.AsSpan(4), CultureInfo.InvariantCulture), Stopwatch.GetTimestamp()));
            }
        }
    }

    private static string Send(HttpClient http, HttpMethod method, string path, string? json = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }

        using var response = http.Send(request);
        var text = new StreamReader(response.Content.ReadAsStream()).ReadToEnd();
        return response.IsSuccessStatusCode ? text : throw new InvalidOperationException($"{method} {path}: {(int)response.StatusCode} {text}");
    }
}
