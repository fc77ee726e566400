using System.Diagnostics;
using System.Globalization;
using System.Text;
using Quire.Bench.Harness;

namespace Quire.Bench.Soak;

/// <summary>
/// Suite <c>soak</c> (<c>soak --minutes N</c>; 2 with --quick, 60 by default): one
/// <c>quire serve</c> process under a mixed load for N minutes: 16 writers putting documents
/// over 100,000 ids, 2 batchers (20 puts each), 2 queriers (an indexed range, a scan with
/// LIMIT, a GROUP BY), a checkpoint every 20 s, an index created and dropped in turn every
/// 45 s, and a SIGKILL and restart every 7 minutes (every minute in runs of 5 minutes or
/// less). Per minute: operations, put p50/p99, query p99, errors, the server's RSS and GC
/// pause. Goals: RSS after minute 5 at most 10% over minute 5's, the put p99 of later
/// minutes within 2x of the first five's, and no unexpected error (a failure while a kill is
/// under way is expected).
/// </summary>
public static class SoakSuite
{
    private const string Db = "soak";

    public static void Run(BenchRun run)
    {
        var minutes = (int)(run.Minutes ?? (run.Quick ? 2 : 60));
        var killEvery = TimeSpan.FromMinutes(minutes <= 5 ? 1 : 7);
        using var dir = new BenchDirectory("quire-soak");
        var root = Path.Combine(dir.Path, "data");
        var port = Loopback.FreePort();
        var server = ServerNode.Start(root, Db, port);
        Post(server, "index", """{"coll": "c", "field": "n", "kind": "sorted"}""");
        var load = new SoakLoad(() => new HttpClient { BaseAddress = new Uri(server.Url), Timeout = TimeSpan.FromSeconds(30) }, ids: 100_000);
        var clients = load.Start(writers: 16, batchers: 2, queriers: 2);
        var rows = new List<SoakMinute>();
        var clock = Stopwatch.StartNew();
        var (nextKill, nextCheckpoint, nextIndex, indexed, kills, lastGc) = (killEvery, TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(45), false, 0, 0.0);
        Console.WriteLine("| minute | puts | batches | queries | put p50 ms | put p99 ms | query p99 ms | unexpected errors | errors around kills | RSS MB | GC pause ms | kills |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|---|");
        for (var minute = 1; minute <= minutes; minute++)
        {
            var minuteKills = 0;
            while (clock.Elapsed < TimeSpan.FromMinutes(minute))
            {
                Thread.Sleep(250);
                if (clock.Elapsed >= nextKill && minute < minutes)
                {
                    load.Killing = true;
                    server.Kill();
                    server = ServerNode.Start(root, null, port);
                    Thread.Sleep(1000);   // its databases open on first use
                    load.Killing = false;
                    (kills, minuteKills, nextKill) = (kills + 1, minuteKills + 1, nextKill + killEvery);
                }

                if (clock.Elapsed >= nextCheckpoint)
                {
                    Post(server, "checkpoint", "{}");
                    nextCheckpoint += TimeSpan.FromSeconds(20);
                }

                if (clock.Elapsed >= nextIndex)
                {
                    Post(server, "index", """{"coll": "c", "field": "s", "kind": "eq"}""", indexed ? HttpMethod.Delete : HttpMethod.Post);
                    (indexed, nextIndex) = (!indexed, nextIndex + TimeSpan.FromSeconds(45));
                }
            }

            var m = load.TakeMinute();
            var gc = GcPauseSeconds(server);
            var row = new SoakMinute(minute, m.Puts, m.Batches, m.Queries, m.PutP50, m.PutP99, m.QueryP99, m.Unexpected, m.AroundKills,
                server.ResidentBytes / 1048576.0, (gc >= lastGc ? gc - lastGc : gc) * 1000, minuteKills);
            lastGc = gc;
            rows.Add(row);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {row.Minute} | {row.Puts} | {row.Batches} | {row.Queries} | {row.PutP50Ms:F1} | {row.PutP99Ms:F1} | {row.QueryP99Ms:F1} | {row.UnexpectedErrors} | {row.ErrorsAroundKills} | {row.RssMb:F0} | {row.GcPauseMs:F0} | {row.Kills} |"));
        }

        load.Stop();
        Task.WaitAll([.. clients]);
        server.Dispose();
        Verdict(run.Report, rows);
        if (run.Output is { } output)
        {
            File.WriteAllText(Path.ChangeExtension(output, ".svg"), SoakPlot.Svg(rows));
        }
    }

    /// <summary>The goals, on the minutes after the first five (after the first half in shorter runs).</summary>
    private static void Verdict(BenchReport report, List<SoakMinute> rows)
    {
        var warm = Math.Min(5, Math.Max(1, rows.Count / 2));
        var (early, late) = (rows.Take(warm).ToList(), rows.Skip(warm).ToList());
        if (late.Count == 0)
        {
            late = early;
        }

        var rssGrowth = (late.Max(r => r.RssMb) / early[^1].RssMb - 1) * 100;
        var p99Ratio = Median(late.Select(r => r.PutP99Ms)) / Median(early.Select(r => r.PutP99Ms));
        var unexpected = rows.Sum(r => r.UnexpectedErrors);
        report.Add(new BenchResult("quire", "soak-rss-growth-pct", rssGrowth, "%"));
        report.Add(new BenchResult("quire", "soak-put-p99-ratio", p99Ratio, "x"));
        report.Add(new BenchResult("quire", "soak-unexpected-errors", unexpected, "errors"));
        report.Add(new BenchResult("quire", "soak-kills", rows.Sum(r => r.Kills), "kills"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  RSS growth after minute {warm}: {rssGrowth:F1}% (goal < 10%) {(rssGrowth < 10 ? "met" : "not met")}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  put p99, later minutes / first {warm}: {p99Ratio:F2}x (goal <= 2x) {(p99Ratio <= 2 ? "met" : "not met")}"));
        Console.WriteLine($"  unexpected errors: {unexpected} (goal 0) {(unexpected == 0 ? "met" : "not met")}");
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count == 0 ? 0 : sorted[sorted.Count / 2];
    }

    private static void Post(ServerNode server, string route, string body, HttpMethod? method = null)
    {
        using var request = new HttpRequestMessage(method ?? HttpMethod.Post, $"/v1/databases/{Db}/{route}") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        using var response = server.Http.SendAsync(request).GetAwaiter().GetResult();
        if ((int)response.StatusCode >= 500)
        {
            Console.Error.WriteLine($"  {method ?? HttpMethod.Post} {route}: {(int)response.StatusCode} {response.Content.ReadAsStringAsync().GetAwaiter().GetResult()}");
        }
    }

    /// <summary>The server's GC pause total since it started (seconds), from <c>/metrics</c>.</summary>
    private static double GcPauseSeconds(ServerNode server)
    {
        var text = server.Http.GetStringAsync("/metrics").GetAwaiter().GetResult();
        var line = text.Split('\n').FirstOrDefault(l => l.StartsWith("system_runtime_dotnet_gc_pause_time ", StringComparison.Ordinal));
        return line is null ? 0 : double.Parse(line.Split(' ')[1], CultureInfo.InvariantCulture);
    }
}
