using Quire.Bench.Harness;
using Quire.Bench.Log;
using Quire.Storage.Engine;

namespace Quire.Bench.History;

/// <summary>
/// The log suite's put-c64 and batch1000 on two engines, one keeping history and one not,
/// each preloaded alike (half the puts overwrite, so half leave a past version); every
/// repeat runs both in turn, so drift in the shared disk falls on both.
/// </summary>
internal static class HistoryWrites
{
    public static void Run(BenchRun run)
    {
        var quick = run.Quick;
        var settings = new LogSettings(
            Preload: quick ? 100_000L : 1_000_000L,
            Warmup: TimeSpan.FromSeconds(quick ? 0.3 : 1),
            Window: TimeSpan.FromSeconds(quick ? 0.6 : 3),
            Repeats: quick ? 2 : 5,
            Batches: quick ? 20 : 200);
        var modes = new (string Suffix, StorageOptions Options)[] { ("history", new StorageOptions { KeepHistory = true }), ("nohistory", new StorageOptions()) };
        var systems = new List<MeasuredSystem>();
        try
        {
            foreach (var (suffix, options) in modes)
            {
                var system = new MeasuredSystem($"quire-{suffix}");
                systems.Add(system);
                Console.WriteLine($"  (opening quire with {suffix} and loading {settings.Preload:N0} keys)");
                system.Peer = new QuirePeer(system.Directory.Path, options);
                system.Peer.Preload(settings.Preload);
                system.Peer.WaitUntilQuiet();
            }

            for (var r = 0; r < settings.Repeats; r++)
            {
                foreach (var system in systems)
                {
                    system.Measure(run.Gc, () => system.PutRate(64, settings));
                }
            }

            Report(run.Report, systems, "put-c64", "ops/s");
            for (var r = 0; r < settings.Repeats; r++)
            {
                foreach (var system in systems)
                {
                    system.Measure(run.Gc, () => system.BatchRate(settings, run.Gc));
                }
            }

            Report(run.Report, systems, "batch1000", "puts/s");
            foreach (var system in systems)
            {
                run.Report.Add(new BenchResult("quire", $"write-amp-{system.Name["quire-".Length..]}", (double)system.DiskBytes / system.UserBytes, "x"));
            }
        }
        finally
        {
            foreach (var system in systems)
            {
                system.Dispose();
            }
        }
    }

    private static void Report(BenchReport report, List<MeasuredSystem> systems, string caseName, string unit)
    {
        foreach (var system in systems)
        {
            report.Add(system.Result($"{caseName}-{system.Name["quire-".Length..]}", unit) with { System = "quire" });
            system.Samples.Clear();
        }
    }
}
