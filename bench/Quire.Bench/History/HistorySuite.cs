using Quire.Bench.Harness;

namespace Quire.Bench.History;

/// <summary>
/// Suite <c>history</c>: what keeping past versions costs writers (the engine's put-c64 and
/// batch1000 with history on and off, alternating in one run, and write amplification both
/// ways), what reading AS OF an earlier seq costs readers (a point read and an indexed
/// ORDER BY ... LIMIT 10, as of a seq 100,000 ops back, against the same reads now), and
/// the change feed over HTTP: draining <c>since</c> in pages of 10,000, and the latency from
/// a write's acknowledgement to its <c>changes</c> event at 10 subscribers.
/// </summary>
public static class HistorySuite
{
    public static void Run(BenchRun run)
    {
        HistoryWrites.Run(run);
        HistoryReads.Run(run);
        ChangeFeedLoad.Run(run);
        run.Report.Add(new BenchResult("quire", "gc-pause-max", run.Gc.MaxPause.TotalMilliseconds, "ms"));

        var report = run.Report;
        Console.WriteLine();
        report.Ratio("put-c64-history / put-c64-nohistory", ("quire", "put-c64-history"), ("quire", "put-c64-nohistory"), 0.85);
        report.Ratio("batch1000-history / batch1000-nohistory", ("quire", "batch1000-history"), ("quire", "batch1000-nohistory"), 0.85);
        report.Ratio("point / asof-point (asof-point within 3x)", ("quire", "point"), ("quire", "asof-point"), 1.0 / 3);
        report.Ratio("top10-desc / asof-top10 (asof-top10 within 3x)", ("quire", "top10-desc"), ("quire", "asof-top10"), 1.0 / 3);
        Console.WriteLine("  goals: since-drain >= 500,000 ops/s; changes-p99-ms < 50 ms");
    }
}
