namespace Quire.Bench.Harness;

/// <summary>What a suite gets: where to report, whether the run is quick, the GC monitor, and an optional filter of systems.</summary>
public sealed record BenchRun(BenchReport Report, bool Quick, GcPauseMonitor Gc, IReadOnlyCollection<string>? Systems)
{
    public bool Includes(string system) => Systems is null || Systems.Contains(system);

    /// <summary>How long a timed suite (soak) runs, from <c>--minutes</c>; null: the suite's default.</summary>
    public double? Minutes { get; init; }

    /// <summary>The report's file (<c>--out</c>), beside which a suite may write a plot.</summary>
    public string? Output { get; init; }
}
