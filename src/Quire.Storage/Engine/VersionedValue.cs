namespace Quire.Storage.Engine;

/// <summary>What the engine holds for a key: the seq of the op that last wrote it, and its value (none for a tombstone).</summary>
/// <param name="Version">The seq of the op that last put or deleted the key.</param>
/// <param name="Value">The value; null when the key was deleted.</param>
public readonly record struct VersionedValue(long Version, byte[]? Value)
{
    /// <summary>True when the key was deleted (a tombstone that keeps its version).</summary>
    public bool IsDeleted => Value is null;
}
