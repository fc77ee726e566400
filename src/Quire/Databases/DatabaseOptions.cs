using Quire.Storage.Engine;

namespace Quire.Databases;

/// <summary>How databases are opened. Every option has a default that suits a server.</summary>
public sealed record DatabaseOptions
{
    /// <summary>The storage engine's options (durability, memory budget, checkpoints).</summary>
    public StorageOptions Storage { get; init; } = new();

    /// <summary>The largest document accepted, in bytes of JSON as stored. Default 1 MiB.</summary>
    public int MaxDocumentBytes { get; init; } = 1024 * 1024;

    /// <summary>The most ops one batch may hold. Default 10,000.</summary>
    public int MaxBatchOps { get; init; } = 10_000;

    /// <summary>
    /// When true, a query that reads more than <see cref="AutoIndexScanThreshold"/>
    /// documents without an index for the field it filters or orders on starts building a
    /// sorted index on that field (in the background, as any index build). Default false.
    /// </summary>
    public bool AutoIndexes { get; init; }

    /// <summary>
    /// When set (a primary's URL), databases open as read-only replicas of it: they take only
    /// the primary's log records (<see cref="Database.ApplyReplicatedAsync"/>), run no
    /// background writers of their own (expiry sweep, op-log pruning, history reclaim, index
    /// builds, automatic indexes), and refuse every other write.
    /// </summary>
    public string? ReplicaOf { get; init; }

    /// <summary>How many documents a query may read without an index before <see cref="AutoIndexes"/> builds one. Default 10,000.</summary>
    public long AutoIndexScanThreshold { get; init; } = 10_000;

    /// <summary>The clock TTLs are measured by. Default: the system clock.</summary>
    public TimeProvider Clock { get; init; } = TimeProvider.System;

    /// <summary>How many of the latest ops the op log keeps (older records are deleted in the background). Default 1,000,000.</summary>
    public long OpLogRetention { get; init; } = 1_000_000;

    /// <summary>
    /// Whether past versions are kept, so queries can read the database as it was
    /// (<c>FROM c AS OF n</c>). Default true. Turning it off and on again starts the history
    /// anew at the seq it was turned on at.
    /// </summary>
    public bool KeepHistory { get; init; } = true;

    /// <summary>
    /// How many of the latest ops <c>AS OF</c> reaches back over: past versions no seq after
    /// the last <c>HistoryRetention</c> ops needs are reclaimed in the background. Default
    /// null: as far as the op log reaches (<see cref="OpLogRetention"/>).
    /// </summary>
    public long? HistoryRetention { get; init; }

    /// <summary>
    /// How long <c>AS OF</c> reaches back: past versions replaced longer ago are reclaimed.
    /// Default null: no age limit. With <see cref="HistoryRetention"/> too, the shorter of the two wins.
    /// </summary>
    public TimeSpan? HistoryRetentionAge { get; init; }

    /// <summary>How often expired documents are deleted and the op log pruned. Default 1 s; expired documents read as absent from the moment they expire.</summary>
    public TimeSpan ExpiryScanInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Whether the background loop deletes expired documents (the server's <c>NEDBD_SWEEP_S=0</c>
    /// turns it off). Default true. Off, expired documents still read as absent; they go
    /// when <see cref="Database.ReapExpiredAsync"/> (<c>POST .../sweep</c>) runs.
    /// </summary>
    public bool SweepExpired { get; init; } = true;

    /// <summary>The largest file <see cref="Database.PutFileAsync"/> stores (a version is one commit). Default 8 MiB.</summary>
    public int MaxFileBytes { get; init; } = 8 * 1024 * 1024;

    /// <summary>
    /// Hears a failure nobody awaits: an index build (which is retried), or storage turning
    /// the database read-only (a failed write or fsync, a full disk). The host logs it. Null:
    /// nobody hears.
    /// </summary>
    public Action<string, Exception>? OnBackgroundFailure { get; init; }

    /// <summary>Called as each index build starts (tests make a build fail with it).</summary>
    internal Action<string>? OnBuildStart { get; init; }

    /// <summary>Where a document's search number probe starts (<see cref="Indexes.SearchNumbers.Sha256Home"/>); tests make homes collide with it.</summary>
    internal Func<string, long> SearchHome { get; init; } = Indexes.SearchNumbers.Sha256Home;
}
