namespace Quire.Storage.Engine;

/// <summary>When a commit is acknowledged, relative to the disk.</summary>
public enum Durability
{
    /// <summary>Default. Written, fsynced, then published, then acknowledged: an acknowledged commit survives power loss.</summary>
    Sync,

    /// <summary>Published and acknowledged once written to the OS; fsynced at most every
    /// <see cref="StorageOptions.BatchSyncInterval"/>. A power loss may drop that interval's commits; a process crash does not.</summary>
    Batch,

    /// <summary>Published and acknowledged once applied in memory; written behind and fsynced like
    /// <see cref="Batch"/>. A process crash may drop the commits not yet written.</summary>
    Async,
}
