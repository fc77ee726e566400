using System.Buffers.Binary;

namespace Quire.Storage.Format;

/// <summary>
/// A page of the persisted free list. The list is a chain, newest first, that the
/// superblock points to: each checkpoint adds a delta (pages it freed, pages it took
/// back), and now and then a base replaces the chain with the whole list. Layout:
/// <c>[kind u8][base flag u8][reserved u16][added u32][removed u32][reserved u32]</c>
/// <c>[checksum u32][reserved u32][previous page u64]</c>, then the added and the
/// removed page numbers (u64 each). The checksum covers the page and its address.
/// </summary>
internal static class FreeListPage
{
    public const byte Kind = 4;
    private const int HeaderSize = 32;

    /// <summary>Page numbers one page holds.</summary>
    public static int Capacity(int pageSize) => (pageSize - HeaderSize) / 8;

    public static void Write(Span<byte> page, long address, bool isBase, long previous, ReadOnlySpan<long> added, ReadOnlySpan<long> removed)
    {
        page.Clear();
        page[0] = Kind;
        page[1] = (byte)(isBase ? 1 : 0);
        BinaryPrimitives.WriteInt32LittleEndian(page[4..], added.Length);
        BinaryPrimitives.WriteInt32LittleEndian(page[8..], removed.Length);
        BinaryPrimitives.WriteInt64LittleEndian(page[24..], previous);
        var at = HeaderSize;
        foreach (var p in added)
        {
            BinaryPrimitives.WriteInt64LittleEndian(page[at..], p);
            at += 8;
        }

        foreach (var p in removed)
        {
            BinaryPrimitives.WriteInt64LittleEndian(page[at..], p);
            at += 8;
        }

        PageChecksum.Set(page, address);
    }

    /// <summary>Reads a page; null when it fails its checksum.</summary>
    public static (bool IsBase, long Previous, long[] Added, long[] Removed)? TryRead(ReadOnlySpan<byte> page, long address)
    {
        if (page[0] != Kind || !PageChecksum.IsValid(page, address))
        {
            return null;
        }

        var added = new long[BinaryPrimitives.ReadInt32LittleEndian(page[4..])];
        var removed = new long[BinaryPrimitives.ReadInt32LittleEndian(page[8..])];
        if (added.Length + removed.Length > Capacity(page.Length))
        {
            return null;
        }

        var at = HeaderSize;
        for (var i = 0; i < added.Length; i++, at += 8)
        {
            added[i] = BinaryPrimitives.ReadInt64LittleEndian(page[at..]);
        }

        for (var i = 0; i < removed.Length; i++, at += 8)
        {
            removed[i] = BinaryPrimitives.ReadInt64LittleEndian(page[at..]);
        }

        return (page[1] == 1, BinaryPrimitives.ReadInt64LittleEndian(page[24..]), added, removed);
    }
}
