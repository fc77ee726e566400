namespace Quire.Bench.Harness;

/// <summary>What a suite gets: where to report, whether the run is quick, the GC monitor, and an optional filter of systems.</summary>
public sealed record BenchRun(BenchReport Report, bool Quick, GcPauseMonitor Gc, IReadOnlyCollection<string>? Systems)
{
    public bool Includes(string system) => Systems is null || Systems.Contains(system);
}
