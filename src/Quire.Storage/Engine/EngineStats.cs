namespace Quire.Storage.Engine;

/// <summary>Counters of the write path. Updated by the writer thread; read anywhere (values may be a moment stale).</summary>
public sealed class EngineStats
{
    private long _syncTicksTotal;
    private long _syncTicksMax;

    /// <summary>Commits processed (including rejected ones).</summary>
    public long Commits { get; internal set; }

    /// <summary>Groups written; <see cref="Commits"/> / <see cref="Groups"/> is the mean group size.</summary>
    public long Groups { get; internal set; }

    /// <summary>How often a committer found the queue full and waited.</summary>
    public long QueueFullWaits { get; internal set; }

    /// <summary>fdatasyncs issued by the writer.</summary>
    public long Syncs { get; private set; }

    /// <summary>Mean fdatasync latency.</summary>
    public TimeSpan MeanSyncLatency => Syncs == 0 ? TimeSpan.Zero : TimeSpan.FromTicks(_syncTicksTotal / Syncs);

    /// <summary>Longest fdatasync latency.</summary>
    public TimeSpan MaxSyncLatency => TimeSpan.FromTicks(_syncTicksMax);

    internal void RecordSync(TimeSpan latency)
    {
        Syncs++;
        _syncTicksTotal += latency.Ticks;
        _syncTicksMax = Math.Max(_syncTicksMax, latency.Ticks);
    }
}
