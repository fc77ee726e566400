namespace Quire.Storage.Engine;

/// <summary>What one checkpoint wrote.</summary>
/// <param name="Checkpoint">Its number (the superblock's).</param>
/// <param name="CoveredSeq">The last seq it covers: open replays the log after it.</param>
/// <param name="Pages">Node and blob pages written, without the superblock.</param>
/// <param name="Bytes">Bytes written, superblock included.</param>
/// <param name="Duration">From taking the root to the durable superblock.</param>
public sealed record CheckpointResult(long Checkpoint, long CoveredSeq, long Pages, long Bytes, TimeSpan Duration);
