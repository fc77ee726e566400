namespace Quire.Storage.Engine;

/// <summary>Counters of the write path and checkpoints. Updated by the write path (one thread at a time: the log writer, or a caller leading its own commit) and the checkpointer; read anywhere (values may be a moment stale).</summary>
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

    /// <summary>fdatasyncs of the log.</summary>
    public long Syncs { get; private set; }

    /// <summary>Mean fdatasync latency.</summary>
    public TimeSpan MeanSyncLatency => Syncs == 0 ? TimeSpan.Zero : TimeSpan.FromTicks(_syncTicksTotal / Syncs);

    /// <summary>Longest fdatasync latency.</summary>
    public TimeSpan MaxSyncLatency => TimeSpan.FromTicks(_syncTicksMax);

    /// <summary>Nodes evicted from memory to stay within the budget.</summary>
    public long Evictions { get; internal set; }

    /// <summary>Snapshots cancelled for their age or the memory they kept.</summary>
    public long SnapshotsExpired { get; internal set; }

    /// <summary>Times the write path waited for a checkpoint because dirty nodes passed their limit.</summary>
    public long DirtyWaits { get; internal set; }

    /// <summary>Checkpoints completed.</summary>
    public long Checkpoints { get; private set; }

    /// <summary>Checkpoints abandoned for lack of disk space (their nodes stay dirty for the next).</summary>
    public long CheckpointsOutOfSpace { get; internal set; }

    /// <summary>What the last checkpoint wrote, or null.</summary>
    public CheckpointResult? LastCheckpoint { get; private set; }

    /// <summary>Node and blob pages written by all checkpoints.</summary>
    public long CheckpointPages { get; private set; }

    /// <summary>The <c>db</c> tag of this engine's measurements (<see cref="EngineMeter"/>).</summary>
    internal KeyValuePair<string, object?> Tag { get; set; } = new("db", "");

    internal void RecordCheckpoint(CheckpointResult result)
    {
        Checkpoints++;
        CheckpointPages += result.Pages;
        LastCheckpoint = result;
        EngineMeter.CheckpointDuration.Record(result.Duration.TotalSeconds, Tag);
        EngineMeter.CheckpointPages.Add(result.Pages, Tag);
    }

    internal void RecordSync(TimeSpan latency)
    {
        Syncs++;
        _syncTicksTotal += latency.Ticks;
        _syncTicksMax = Math.Max(_syncTicksMax, latency.Ticks);
        EngineMeter.FsyncDuration.Record(latency.TotalSeconds, Tag);
    }

    internal void RecordGroup(int commits)
    {
        Groups++;
        Commits += commits;
        EngineMeter.GroupSize.Record(commits, Tag);
    }

    /// <summary>A commit acknowledged; <paramref name="started"/> is when it was called (0: not timed).</summary>
    internal void RecordCommit(long started)
    {
        if (started != 0)
        {
            EngineMeter.CommitDuration.Record(EngineMeter.Since(started), Tag);
        }
    }
}
