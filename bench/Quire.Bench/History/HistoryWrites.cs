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
        var settings = LogSettings.For(quick, repeats: 5);
        var systems = EngineVariants.Open(settings, [("history", new StorageOptions { KeepHistory = true }), ("nohistory", new StorageOptions())]);
        try
        {
            EngineVariants.Measure(run, systems, settings.Repeats, "put-c64", "ops/s", system => system.PutRate(64, settings));
            EngineVariants.Measure(run, systems, settings.Repeats, "batch1000", "puts/s", system => system.BatchRate(settings, run.Gc));
            foreach (var system in systems)
            {
                run.Report.Add(new BenchResult("quire", $"write-amp-{EngineVariants.Variant(system)}", (double)system.DiskBytes / system.UserBytes, "x"));
            }
        }
        finally
        {
            EngineVariants.Dispose(systems);
        }
    }
}
