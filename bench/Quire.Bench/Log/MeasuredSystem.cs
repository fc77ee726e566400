using System.Diagnostics;
using Quire.Bench.Harness;

namespace Quire.Bench.Log;

/// <summary>The write suites' sizes and times: keys preloaded, warm-up and window per sample, repeats, batches per batch sample.</summary>
internal sealed record LogSettings(long Preload, TimeSpan Warmup, TimeSpan Window, int Repeats, int Batches)
{
    /// <summary>The log suite's settings (a 1M-key preload, 3 s windows), or the quick ones; <paramref name="repeats"/> full repeats.</summary>
    public static LogSettings For(bool quick, int repeats) => new(
        Preload: quick ? 100_000L : 1_000_000L,
        Warmup: TimeSpan.FromSeconds(quick ? 0.3 : 1),
        Window: TimeSpan.FromSeconds(quick ? 0.6 : 3),
        Repeats: quick ? 2 : repeats,
        Batches: quick ? 20 : 200);
}

/// <summary>One system of a write suite with what its measurements gathered: samples, user and disk bytes, GC pauses.</summary>
internal sealed class MeasuredSystem(string name) : IDisposable
{
    private const int PairBytes = 16 + BenchKeys.ValueSize;
    private long _userBytes;

    public string Name { get; } = name;

    public BenchDirectory Directory { get; } = new(name);

    public KeyValuePeer? Peer { get; set; }

    public string? Error { get; set; }

    public List<double> Samples { get; } = [];

    public long UserBytes => Interlocked.Read(ref _userBytes);

    public long DiskBytes { get; private set; }

    public TimeSpan GcPauseMax { get; private set; }

    public void Measure(GcPauseMonitor gc, Func<double> measure)
    {
        gc.Reset();
        var disk = DiskCounters.WrittenBytes();
        Samples.Add(measure());
        Peer?.WaitUntilQuiet();
        DiskBytes += DiskCounters.WrittenBytes() - disk;
        if (gc.MaxPause > GcPauseMax)
        {
            GcPauseMax = gc.MaxPause;
        }
    }

    public BenchResult Result(string caseName, string unit) =>
        Samples.Count == 0
            ? new BenchResult(Name, caseName, null, unit, Error ?? "not measured")
            : new BenchResult(Name, caseName, Median.Of(Samples), unit);

    public double PutRate(int writers, LogSettings settings)
    {
        var peer = Peer!;
        var buffers = new BenchKeys.WriterBuffers(writers);
        return peer.Blocking
            ? ClosedLoop.RunBlocking(
                writers,
                settings.Warmup,
                settings.Window,
                (w, r) =>
                {
                    peer.Put(w, buffers.Key(w, r, settings.Preload), buffers.Value(w, r));
                    Interlocked.Add(ref _userBytes, PairBytes);
                },
                peer.Checkpoint)
            : ClosedLoop.RunAsync(
                writers,
                settings.Warmup,
                settings.Window,
                async (w, r) =>
                {
                    await peer.PutAsync(w, buffers.Key(w, r, settings.Preload), buffers.Value(w, r));
                    Interlocked.Add(ref _userBytes, PairBytes);
                },
                peer.Checkpoint);
    }

    public double BatchRate(LogSettings settings, GcPauseMonitor gc)
    {
        // The data is made before the clock starts: the store is measured, not the generator.
        var random = new Random(11 + Samples.Count);
        var batches = Enumerable.Range(0, settings.Batches).Select(_ => new BatchData(random, 1000, settings.Preload)).ToArray();

        // Settle the generator's garbage now, so its collection is not counted as the system's pause.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        gc.Reset();
        var started = Stopwatch.GetTimestamp();
        foreach (var batch in batches)
        {
            Peer!.CommitBatchAsync(batch).AsTask().GetAwaiter().GetResult();
            Interlocked.Add(ref _userBytes, 1000L * PairBytes);
        }

        // Deferred work (a checkpoint, a memtable flush) is inside the clock.
        Peer!.Checkpoint();
        return settings.Batches * 1000 / Stopwatch.GetElapsedTime(started).TotalSeconds;
    }

    public void Dispose()
    {
        Peer?.Dispose();
        Directory.Dispose();
    }
}
