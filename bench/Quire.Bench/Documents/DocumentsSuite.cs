using System.Diagnostics;
using Quire.Bench.Harness;

namespace Quire.Bench.Documents;

/// <summary>
/// Suite <c>documents</c>: contributions (a document with tags, a sorted field and a
/// searched text, plus 3 links) written as one atomic commit, as 8 separate commits, and
/// by SQLite in one transaction; then bulk loads of block documents with a sorted and an
/// eq index into Quire, SQLite and LiteDB. Every system is durable (fsync per commit).
/// Repeats of a contribution case run the systems in turn, so drift in the shared disk
/// falls on all of them alike.
/// </summary>
public static class DocumentsSuite
{
    private static readonly int[] Concurrency = [1, 64];

    /// <summary>Quire's loader keeps this many batches committing at once (SQLite and LiteDB take one writer at a time).</summary>
    private const int BulkInFlight = 2;

    public static void Run(BenchRun run)
    {
        var (report, quick) = (run.Report, run.Quick);
        var warmup = TimeSpan.FromSeconds(quick ? 0.3 : 1);
        var window = TimeSpan.FromSeconds(quick ? 0.8 : 3);
        var repeats = quick ? 2 : 3;
        var gcMax = TimeSpan.Zero;

        using var quireDir = new BenchDirectory("quire");
        using var sqliteDir = new BenchDirectory("sqlite");
        using var quire = new QuireDocuments(quireDir.Path);
        using var sqlite = new SqliteDocuments(sqliteDir.Path);
        var atomicDb = quire.ContributionsAsync().GetAwaiter().GetResult();
        var nwritesDb = quire.Database("nwrites");
        long counter = 0;

        foreach (var c in Concurrency)
        {
            var samples = new Dictionary<string, List<double>> { ["atomic"] = [], ["nwrites"] = [], ["sqlite"] = [] };
            for (var r = 0; r < repeats; r++)
            {
                if (run.Includes("quire"))
                {
                    run.Gc.Reset();
                    samples["atomic"].Add(ClosedLoop.RunAsync(c, warmup, window,
                        (w, random) => QuireDocuments.AtomicAsync(atomicDb, Contribution.Create(random, w, Interlocked.Increment(ref counter))),
                        () => atomicDb.CheckpointAsync().GetAwaiter().GetResult()));
                    samples["nwrites"].Add(ClosedLoop.RunAsync(c, warmup, window,
                        (w, random) => QuireDocuments.NWritesAsync(nwritesDb, Contribution.Create(random, w, Interlocked.Increment(ref counter))),
                        () => nwritesDb.CheckpointAsync().GetAwaiter().GetResult()));
                    gcMax = Max(gcMax, run.Gc.MaxPause);
                }

                if (run.Includes("sqlite"))
                {
                    samples["sqlite"].Add(ClosedLoop.RunBlocking(c, warmup, window,
                        (w, random) => sqlite.Contribution(w, Contribution.Create(random, w, Interlocked.Increment(ref counter))),
                        () => { }));
                }
            }

            Add(report, "quire", $"contribution-atomic-c{c}", samples["atomic"], "ops/s");
            Add(report, "quire", $"contribution-nwrites-c{c}", samples["nwrites"], "ops/s");
            Add(report, "sqlite", $"contribution-c{c}", samples["sqlite"], "ops/s");
        }

        var count = quick ? 100_000 : 1_000_000;
        var liteCount = quick ? 20_000 : 200_000;
        Console.WriteLine($"  (generating {count:N0} block documents)");
        var random = new Random(42);
        var blocks = Enumerable.Range(0, count).Select(h => Block.Create(random, h)).ToList();
        if (run.Includes("quire"))
        {
            run.Gc.Reset();
            var disk = DiskCounters.WrittenBytes();
            var rate = Rate(count, () => quire.BulkBlocksAsync(blocks, 1000, BulkInFlight).GetAwaiter().GetResult());
            var written = DiskCounters.WrittenBytes() - disk;
            report.Add(new BenchResult("quire", "bulk-blocks", rate, "docs/s"));
            gcMax = Max(gcMax, run.Gc.MaxPause);
            if (disk >= 0)
            {
                report.Add(new BenchResult("quire", "write-amp", (double)written / blocks.Sum(b => (long)b.Json.Length + b.Id.Length), "x"));
            }

            report.Add(new BenchResult("quire", "gc-pause-max", gcMax.TotalMilliseconds, "ms"));
        }

        if (run.Includes("sqlite"))
        {
            report.Add(new BenchResult("sqlite", "bulk-blocks", Rate(count, () => sqlite.BulkBlocks(blocks, 1000)), "docs/s"));
        }

        if (run.Includes("litedb"))
        {
            using var liteDir = new BenchDirectory("litedb");
            using var lite = new LiteDbDocuments(liteDir.Path);
            report.Add(new BenchResult("litedb", "bulk-blocks", Rate(liteCount, () => lite.BulkBlocks(blocks.Take(liteCount).ToList(), 1000)), "docs/s"));
        }

        Console.WriteLine();
        report.Ratio("quire contribution-atomic-c1 / contribution-nwrites-c1", ("quire", "contribution-atomic-c1"), ("quire", "contribution-nwrites-c1"), 6);
        report.Ratio("quire contribution-atomic-c64 / sqlite contribution-c64", ("quire", "contribution-atomic-c64"), ("sqlite", "contribution-c64"), 5);
        report.Ratio("quire bulk-blocks / sqlite bulk-blocks", ("quire", "bulk-blocks"), ("sqlite", "bulk-blocks"), 4);
    }

    private static double Rate(int count, Action load)
    {
        var started = Stopwatch.GetTimestamp();
        load();
        return count / Stopwatch.GetElapsedTime(started).TotalSeconds;
    }

    private static void Add(BenchReport report, string system, string caseName, List<double> samples, string unit) =>
        report.Add(samples.Count == 0 ? new BenchResult(system, caseName, null, unit, "not measured") : new BenchResult(system, caseName, Median.Of(samples), unit));

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
