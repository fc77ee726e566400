using Quire.Bench.Harness;
using Quire.Storage.Engine;

namespace Quire.Bench.Log;

/// <summary>
/// The same engine with different options (history on and off, plaintext and encrypted),
/// each preloaded alike and measured in turn on every repeat, so drift in the shared disk
/// falls on all of them; results go under system <c>quire</c> as <c>&lt;case&gt;-&lt;variant&gt;</c>.
/// </summary>
internal static class EngineVariants
{
    /// <summary>Opens and preloads one engine per variant; the caller disposes them.</summary>
    public static List<MeasuredSystem> Open(LogSettings settings, IEnumerable<(string Name, StorageOptions Options)> variants)
    {
        var systems = new List<MeasuredSystem>();
        try
        {
            foreach (var (name, options) in variants)
            {
                var system = new MeasuredSystem($"quire-{name}");
                systems.Add(system);
                Console.WriteLine($"  (opening quire {name} and loading {settings.Preload:N0} keys)");
                system.Peer = new QuirePeer(system.Directory.Path, options);
                system.Peer.Preload(settings.Preload);
                system.Peer.WaitUntilQuiet();
            }

            return systems;
        }
        catch
        {
            Dispose(systems);
            throw;
        }
    }

    /// <summary>Measures each variant in turn, <paramref name="repeats"/> times, and reports the medians as <c>&lt;caseName&gt;-&lt;variant&gt;</c>.</summary>
    public static void Measure(BenchRun run, List<MeasuredSystem> systems, int repeats, string caseName, string unit, Func<MeasuredSystem, double> measure)
    {
        for (var r = 0; r < repeats; r++)
        {
            foreach (var system in systems)
            {
                system.Measure(run.Gc, () => measure(system));
            }
        }

        foreach (var system in systems)
        {
            run.Report.Add(system.Result($"{caseName}-{Variant(system)}", unit) with { System = "quire" });
            system.Samples.Clear();
        }
    }

    /// <summary>The variant's name (the system's, without <c>quire-</c>).</summary>
    public static string Variant(MeasuredSystem system) => system.Name["quire-".Length..];

    public static void Dispose(List<MeasuredSystem> systems)
    {
        foreach (var system in systems)
        {
            system.Dispose();
        }
    }
}
