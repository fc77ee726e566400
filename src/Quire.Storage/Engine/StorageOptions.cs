using Quire.Storage.IO;
using Quire.Storage.Log;

namespace Quire.Storage.Engine;

/// <summary>Settings of a storage engine. Every default is documented here and in docs/configuration.md.</summary>
public sealed record StorageOptions
{
    /// <summary>When commits are acknowledged, unless a commit says otherwise. Default <see cref="Engine.Durability.Sync"/>.</summary>
    public Durability Durability { get; init; } = Durability.Sync;

    /// <summary>In <see cref="Engine.Durability.Batch"/> and <see cref="Engine.Durability.Async"/> modes, the longest time written data waits for its fsync. Default 10 ms.</summary>
    public TimeSpan BatchSyncInterval { get; init; } = TimeSpan.FromMilliseconds(10);

    /// <summary>Most commits waiting in the queue; a commit beyond waits for room. Default 16,384.</summary>
    public int MaxQueuedCommits { get; init; } = 16_384;

    /// <summary>Most bytes of encoded batches waiting in the queue. Default 64 MiB.</summary>
    public long MaxQueuedBytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>Most bytes the writer turns into one write and one fsync. Default 8 MiB.</summary>
    public int MaxGroupBytes { get; init; } = 8 * 1024 * 1024;

    /// <summary>The largest encoded batch accepted. Default 16 MiB (and at most what a log segment holds).</summary>
    public int MaxBatchBytes { get; init; } = 16 * 1024 * 1024;

    /// <summary>Page size, fixed when the database is created: a power of two from 8 KiB to 32 KiB (a page must hold four cells of the largest key). Default 8 KiB.</summary>
    public int PageSize { get; init; } = 8192;

    /// <summary>
    /// A checkpoint starts once the log has grown this much since the last one. Default
    /// 256 MiB: the most an open replays (about a second), and rare enough that random
    /// writes, which dirty most leaves between checkpoints, write each leaf seldom.
    /// </summary>
    public long CheckpointLogBytes { get; init; } = 256L * 1024 * 1024;

    /// <summary>
    /// A checkpoint starts once this many bytes of nodes are dirty (not yet in the data
    /// file, so not evictable). Default 512 MiB, half the default memory budget.
    /// </summary>
    public long CheckpointDirtyBytes { get; init; } = 512L * 1024 * 1024;

    /// <summary>A checkpoint starts at least this often while anything changed. Default 60 s.</summary>
    public TimeSpan CheckpointInterval { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Past this many bytes of dirty nodes commits wait for a checkpoint (backpressure).
    /// Default 768 MiB; at least <see cref="CheckpointDirtyBytes"/>.
    /// </summary>
    public long MaxDirtyBytes { get; init; } = 768L * 1024 * 1024;

    /// <summary>
    /// Budget for node pages held in memory. Past it, nodes a checkpoint made durable
    /// are evicted and read again on demand, so a database larger than memory works.
    /// Default 1 GiB.
    /// </summary>
    public long MemoryBudget { get; init; } = 1024L * 1024 * 1024;

    /// <summary>A snapshot older than this is cancelled: its reads throw <see cref="SnapshotExpiredException"/>. Default 10 minutes.</summary>
    public TimeSpan MaxSnapshotAge { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Most bytes of replaced nodes that open snapshots may keep in memory; past it the
    /// oldest snapshots are cancelled. Default 256 MiB.
    /// </summary>
    public long MaxSnapshotPinnedBytes { get; init; } = 256L * 1024 * 1024;

    /// <summary>
    /// Keep past versions, so a snapshot can show the state as of an earlier seq
    /// (<see cref="StorageEngine.OpenSnapshot(long)"/>): each write that replaces a value keeps
    /// the old one, until <see cref="StorageEngine.ReclaimHistoryAsync"/> drops those no
    /// longer needed. While on, keys starting with byte 0xFF are the engine's own. Default off.
    /// </summary>
    public bool KeepHistory { get; init; }

    /// <summary>
    /// The master key. A database created with one is encrypted: its pages and log records
    /// sealed with AES-256-GCM under a data key of its own, which this key wraps
    /// (<c>quire.key</c>). An encrypted database needs it to open; a plaintext one opens
    /// as before, and stays plaintext. Default none.
    /// </summary>
    public Crypto.MasterKey? MasterKey { get; init; }

    /// <summary>Log settings.</summary>
    public LogOptions Log { get; init; } = new();

    /// <summary>The file system; tests pass one that injects faults. Default the real one.</summary>
    public IFileSystem FileSystem { get; init; } = OsFileSystem.Instance;

    /// <summary>
    /// Called once, on a thread-pool thread, when the engine turns read-only after a failed
    /// write, fsync or checkpoint (the server logs it; every later write fails with the same
    /// <see cref="StorageFailedException"/>).
    /// </summary>
    public Action<StorageFailedException>? OnFailed { get; init; }

    internal void Validate()
    {
        static void Require(bool ok, string message)
        {
            if (!ok)
            {
                throw new ArgumentException(message);
            }
        }

        Require(PageSize is >= 8192 and <= 32768 && (PageSize & (PageSize - 1)) == 0, "PageSize must be a power of two from 8192 to 32768");
        Require(MaxQueuedCommits > 0, "MaxQueuedCommits must be positive");
        Require(MaxQueuedBytes > 0, "MaxQueuedBytes must be positive");
        Require(MaxGroupBytes > 0, "MaxGroupBytes must be positive");
        Require(MaxBatchBytes > 0, "MaxBatchBytes must be positive");
        Require(BatchSyncInterval > TimeSpan.Zero, "BatchSyncInterval must be positive");
        Require(CheckpointLogBytes > 0, "CheckpointLogBytes must be positive");
        Require(CheckpointDirtyBytes > 0, "CheckpointDirtyBytes must be positive");
        Require(CheckpointInterval > TimeSpan.Zero, "CheckpointInterval must be positive");
        Require(MaxDirtyBytes >= CheckpointDirtyBytes, "MaxDirtyBytes must be at least CheckpointDirtyBytes");
        Require(MemoryBudget >= 4 * PageSize, "MemoryBudget must hold at least 4 pages");
        Require(MaxSnapshotAge > TimeSpan.Zero, "MaxSnapshotAge must be positive");
        Require(MaxSnapshotPinnedBytes > 0, "MaxSnapshotPinnedBytes must be positive");
        Require(Log.SegmentSize >= 64 * 1024 && Log.SegmentSize % 4096 == 0, "Log.SegmentSize must be a multiple of 4096 and at least 64 KiB");
        Require(Log.InitialSegmentSize >= 64 * 1024 && Log.InitialSegmentSize % 4096 == 0, "Log.InitialSegmentSize must be a multiple of 4096 and at least 64 KiB");
    }
}
