namespace Quire.Storage.Tree;

/// <summary>
/// A value too large for a leaf, held in memory by the leaf that points to it until a
/// checkpoint writes it to overflow pages and gives it an address. Immutable bytes:
/// a new value is a new blob.
/// </summary>
internal sealed class Blob(byte[] bytes)
{
    private long _address;

    public byte[] Bytes { get; } = bytes;

    /// <summary>The tree writer's generation that created the blob.</summary>
    public long Generation { get; init; }

    /// <summary>The first page a checkpoint wrote the blob to, or 0.</summary>
    public long Address
    {
        get => Volatile.Read(ref _address);
        set => Volatile.Write(ref _address, value);
    }
}
