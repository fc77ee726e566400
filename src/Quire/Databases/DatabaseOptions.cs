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
}
