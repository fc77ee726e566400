namespace Quire.Databases;

/// <summary>
/// What a database's engine has done since it opened, read at one moment: for metrics and
/// monitoring, without handing out the engine itself.
/// </summary>
/// <param name="Seq">The last visible seq (-1 before the first op).</param>
/// <param name="Commits">Commits sequenced.</param>
/// <param name="Groups">Groups of commits, one log write each.</param>
/// <param name="QueueDepth">Commits waiting in the queue now.</param>
/// <param name="QueueFullWaits">Commits that found the queue full and waited.</param>
/// <param name="Syncs">Log fsyncs.</param>
/// <param name="MeanSyncLatency">Mean log fsync latency.</param>
/// <param name="MaxSyncLatency">Longest log fsync.</param>
/// <param name="Checkpoints">Checkpoints written.</param>
/// <param name="CheckpointPages">Pages written by checkpoints.</param>
/// <param name="LastCheckpointBytes">Bytes the last checkpoint wrote (0 before the first).</param>
/// <param name="PagesRead">Pages read from the data file.</param>
/// <param name="Failed">True once a failed write turned the database read-only.</param>
public sealed record DatabaseStats(
    long Seq,
    long Commits,
    long Groups,
    int QueueDepth,
    long QueueFullWaits,
    long Syncs,
    TimeSpan MeanSyncLatency,
    TimeSpan MaxSyncLatency,
    long Checkpoints,
    long CheckpointPages,
    long LastCheckpointBytes,
    long PagesRead,
    bool Failed);
