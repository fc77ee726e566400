namespace Quire.Storage.Engine;

/// <summary>A key with its value and version, as a scan returns it.</summary>
/// <param name="Key">The key.</param>
/// <param name="Value">The value.</param>
/// <param name="Version">The seq of the op that last wrote it.</param>
public sealed record StoredEntry(byte[] Key, byte[] Value, long Version);
