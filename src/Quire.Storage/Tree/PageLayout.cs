using System.Buffers.Binary;
using Quire.Storage.Format;

namespace Quire.Storage.Tree;

/// <summary>
/// The slotted-page format of a tree node, in memory as on disk. Header (32 bytes):
/// <c>[kind u8][tail u8][count u16][cells start u16][garbage u16][prefix length u16][reserved 6]</c>
/// <c>[checksum u32][reserved 4][leftmost child address u64]</c>;
/// then <c>count</c> slots in key order, each <c>[cell offset u16][head u32]</c>; cells
/// grow down from the end of the page. Every key a node can hold shares its first
/// <c>prefix length</c> bytes (the common prefix of the node's fences, the separators
/// around it in its parent), and a slot's head is the next four bytes of its key, big
/// endian and zero-padded: a binary search compares heads inside the slot array and
/// reads a cell only when heads are equal, so a lookup touches few cache lines. A leaf cell is <c>[key length u16][key][version u64][flags u8]</c>
/// followed by <c>[value length u32][value]</c>, or, for a value kept in overflow pages,
/// <c>[value length u32][blob address u64][blob slot u16]</c> (the slot indexes the
/// node's in-memory blobs). An internal cell is <c>[key length u16][key][child address u64]</c>:
/// the separator between child i and child i+1, and the address of child i+1. Child and
/// blob addresses are page numbers, filled in when a checkpoint writes the page; in
/// memory they are meaningful only where the node holds no reference to the child.
/// The checksum (CRC32C) covers the page and its own address, so a page written to or
/// read from the wrong place fails it too.
/// <c>tail</c> is how many bytes at the page's end cells never use: 0, or, in an encrypted
/// database, the room for the seal's nonce and tag (<see cref="Crypto.DataCipher.Reserve"/>).
/// Hot path: everything here works on spans, without allocation.
/// </summary>
internal static class PageLayout
{
    public const int HeaderSize = 32;
    public const int SlotSize = 6;
    public const byte LeafKind = 1;
    public const byte InternalKind = 2;
    public const byte TombstoneFlag = 1;
    public const byte OverflowFlag = 2;

    /// <summary>Bytes of a leaf cell besides key and value: key length, version, flags, value length.</summary>
    public const int LeafCellOverhead = 2 + 8 + 1 + 4;

    /// <summary>What an overflow cell holds in place of its value: blob address and blob slot.</summary>
    public const int OverflowPayloadSize = 8 + 2;

    /// <summary>Bytes of an internal cell besides its key: key length and child address.</summary>
    public const int InternalCellOverhead = 2 + 8;

    private const int LeftmostChildOffset = 24;

    public static byte Kind(ReadOnlySpan<byte> page) => page[0];

    public static int Count(ReadOnlySpan<byte> page) => BinaryPrimitives.ReadUInt16LittleEndian(page[2..]);

    public static int CellsStart(ReadOnlySpan<byte> page) => BinaryPrimitives.ReadUInt16LittleEndian(page[4..]);

    public static int Garbage(ReadOnlySpan<byte> page) => BinaryPrimitives.ReadUInt16LittleEndian(page[6..]);

    public static void SetCount(Span<byte> page, int count) => BinaryPrimitives.WriteUInt16LittleEndian(page[2..], (ushort)count);

    public static void SetCellsStart(Span<byte> page, int start) => BinaryPrimitives.WriteUInt16LittleEndian(page[4..], (ushort)start);

    public static void SetGarbage(Span<byte> page, int garbage) => BinaryPrimitives.WriteUInt16LittleEndian(page[6..], (ushort)garbage);

    public static int PrefixLength(ReadOnlySpan<byte> page) => BinaryPrimitives.ReadUInt16LittleEndian(page[8..]);

    /// <summary>The four bytes of <paramref name="key"/> after <paramref name="prefix"/>, big endian, zero-padded: ordered as the keys are.</summary>
    public static uint Head(ReadOnlySpan<byte> key, int prefix)
    {
        if (key.Length >= prefix + 4)
        {
            return BinaryPrimitives.ReadUInt32BigEndian(key[prefix..]);
        }

        uint head = 0;
        for (var i = 0; i < 4; i++)
        {
            head = (head << 8) | (prefix + i < key.Length ? key[prefix + i] : 0u);
        }

        return head;
    }

    public static uint SlotHead(ReadOnlySpan<byte> page, int slot) =>
        BinaryPrimitives.ReadUInt32LittleEndian(page[(HeaderSize + (slot * SlotSize) + 2)..]);

    /// <summary>Sets the node's prefix length and recomputes every slot's head for it.</summary>
    public static void SetPrefixLength(Span<byte> page, int prefix)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(page[8..], (ushort)prefix);
        for (var slot = 0; slot < Count(page); slot++)
        {
            SetSlotHead(page, slot, Head(KeyAt(page, slot), prefix));
        }
    }

    private static void SetSlotHead(Span<byte> page, int slot, uint head) =>
        BinaryPrimitives.WriteUInt32LittleEndian(page[(HeaderSize + (slot * SlotSize) + 2)..], head);

    /// <summary>Makes <paramref name="page"/> an empty node whose cells end <paramref name="tail"/> bytes before the page does.</summary>
    public static void Initialize(Span<byte> page, byte kind, int tail)
    {
        page[..HeaderSize].Clear();
        page[0] = kind;
        page[1] = (byte)tail;
        SetCellsStart(page, page.Length - tail);
    }

    /// <summary>Bytes at the page's end that cells never use (see the type's summary).</summary>
    public static int Tail(ReadOnlySpan<byte> page) => page[1];

    public static int FreeSpace(ReadOnlySpan<byte> page) => CellsStart(page) - HeaderSize - (Count(page) * SlotSize);

    public static int CellOffset(ReadOnlySpan<byte> page, int slot) =>
        BinaryPrimitives.ReadUInt16LittleEndian(page[(HeaderSize + (slot * SlotSize))..]);

    public static void SetCellOffset(Span<byte> page, int slot, int offset) =>
        BinaryPrimitives.WriteUInt16LittleEndian(page[(HeaderSize + (slot * SlotSize))..], (ushort)offset);

    public static ReadOnlySpan<byte> KeyAt(ReadOnlySpan<byte> page, int slot)
    {
        var offset = CellOffset(page, slot);
        var length = BinaryPrimitives.ReadUInt16LittleEndian(page[offset..]);
        return page.Slice(offset + 2, length);
    }

    /// <summary>
    /// Binary search over the slots. Returns the slot of <paramref name="key"/>, or the
    /// bitwise complement of where it would be inserted. The key must lie within the
    /// node's fences (it does when the parent routed it here). Hot path.
    /// </summary>
    public static int Search(ReadOnlySpan<byte> page, ReadOnlySpan<byte> key)
    {
        var head = Head(key, PrefixLength(page));
        var low = 0;
        var high = Count(page) - 1;
        while (low <= high)
        {
            var mid = (int)((uint)(low + high) >> 1);
            var slotHead = SlotHead(page, mid);
            var c = slotHead == head ? KeyAt(page, mid).SequenceCompareTo(key) : slotHead < head ? -1 : 1;
            if (c == 0)
            {
                return mid;
            }

            if (c < 0)
            {
                low = mid + 1;
            }
            else
            {
                high = mid - 1;
            }
        }

        return ~low;
    }

    /// <summary>The size of the cell at <paramref name="slot"/> (leaf or internal).</summary>
    public static int CellSize(ReadOnlySpan<byte> page, int slot)
    {
        var offset = CellOffset(page, slot);
        var keyLength = BinaryPrimitives.ReadUInt16LittleEndian(page[offset..]);
        if (Kind(page) == InternalKind)
        {
            return InternalCellOverhead + keyLength;
        }

        var flags = page[offset + 2 + keyLength + 8];
        var valueLength = BinaryPrimitives.ReadInt32LittleEndian(page[(offset + 2 + keyLength + 9)..]);
        return LeafCellOverhead + keyLength + ((flags & OverflowFlag) != 0 ? OverflowPayloadSize : (flags & TombstoneFlag) != 0 ? 0 : valueLength);
    }

    /// <summary>
    /// Reserves <paramref name="size"/> bytes for a new cell of <paramref name="key"/> and
    /// a slot at <paramref name="slot"/>; the caller checked the space and writes the cell.
    /// </summary>
    public static int InsertSlot(Span<byte> page, int slot, int size, ReadOnlySpan<byte> key)
    {
        var count = Count(page);
        var slots = page[HeaderSize..];
        slots[(slot * SlotSize)..(count * SlotSize)].CopyTo(slots[((slot + 1) * SlotSize)..]);
        var offset = CellsStart(page) - size;
        SetCellsStart(page, offset);
        SetCellOffset(page, slot, offset);
        SetSlotHead(page, slot, Head(key, PrefixLength(page)));
        SetCount(page, count + 1);
        return offset;
    }

    /// <summary>The length of the common prefix of two keys.</summary>
    public static int CommonPrefix(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b) => a.CommonPrefixLength(b);

    /// <summary>Gives a slot a new cell of <paramref name="size"/> bytes, leaving the old cell as garbage.</summary>
    public static int ReplaceCell(Span<byte> page, int slot, int oldSize, int size)
    {
        var offset = CellsStart(page) - size;
        SetCellsStart(page, offset);
        SetCellOffset(page, slot, offset);
        SetGarbage(page, Garbage(page) + oldSize);
        return offset;
    }

    /// <summary>Rewrites the page without garbage, using <paramref name="scratch"/> (a page-sized buffer).</summary>
    public static void Compact(Span<byte> page, Span<byte> scratch)
    {
        page.CopyTo(scratch);
        var count = Count(page);
        var end = page.Length - Tail(page);
        for (var slot = 0; slot < count; slot++)
        {
            var size = CellSize(scratch, slot);
            end -= size;
            scratch.Slice(CellOffset(scratch, slot), size).CopyTo(page[end..]);
            SetCellOffset(page, slot, end);
        }

        SetCellsStart(page, end);
        SetGarbage(page, 0);
    }

    /// <summary>Writes a leaf cell at <paramref name="offset"/>.</summary>
    public static void WriteLeafCell(Span<byte> page, int offset, ReadOnlySpan<byte> key, long version, byte flags, int valueLength, ReadOnlySpan<byte> valueOrHandle)
    {
        var cell = page[offset..];
        BinaryPrimitives.WriteUInt16LittleEndian(cell, (ushort)key.Length);
        key.CopyTo(cell[2..]);
        var p = 2 + key.Length;
        BinaryPrimitives.WriteInt64LittleEndian(cell[p..], version);
        cell[p + 8] = flags;
        BinaryPrimitives.WriteInt32LittleEndian(cell[(p + 9)..], valueLength);
        valueOrHandle.CopyTo(cell[(p + 13)..]);
    }

    /// <summary>Reads the leaf cell at <paramref name="slot"/>.</summary>
    public static LeafCell ReadLeafCell(ReadOnlySpan<byte> page, int slot)
    {
        var offset = CellOffset(page, slot);
        var keyLength = BinaryPrimitives.ReadUInt16LittleEndian(page[offset..]);
        var p = offset + 2 + keyLength;
        var flags = page[p + 8];
        var valueLength = BinaryPrimitives.ReadInt32LittleEndian(page[(p + 9)..]);
        return new LeafCell(BinaryPrimitives.ReadInt64LittleEndian(page[p..]), flags, valueLength, p + 13);
    }

    /// <summary>The key of the leaf cell at <paramref name="slot"/>, and whether the cell is a tombstone.</summary>
    public static ReadOnlySpan<byte> KeyAt(ReadOnlySpan<byte> page, int slot, out bool tombstone)
    {
        var offset = CellOffset(page, slot);
        var length = BinaryPrimitives.ReadUInt16LittleEndian(page[offset..]);
        var key = page.Slice(offset + 2, length);
        tombstone = (page[offset + 2 + length + 8] & TombstoneFlag) != 0;
        return key;
    }

    /// <summary>The blob address of an overflow cell whose payload starts at <paramref name="payloadOffset"/>.</summary>
    public static long BlobAddress(ReadOnlySpan<byte> page, int payloadOffset) => BinaryPrimitives.ReadInt64LittleEndian(page[payloadOffset..]);

    /// <summary>The blob slot of an overflow cell whose payload starts at <paramref name="payloadOffset"/>.</summary>
    public static int BlobSlot(ReadOnlySpan<byte> page, int payloadOffset) => BinaryPrimitives.ReadUInt16LittleEndian(page[(payloadOffset + 8)..]);

    /// <summary>Writes an overflow cell's payload.</summary>
    public static void WriteOverflowPayload(Span<byte> payload, long address, int slot)
    {
        BinaryPrimitives.WriteInt64LittleEndian(payload, address);
        BinaryPrimitives.WriteUInt16LittleEndian(payload[8..], (ushort)slot);
    }

    /// <summary>Writes an internal (separator) cell at <paramref name="offset"/>; its child address is filled in when the page is written.</summary>
    public static void WriteInternalCell(Span<byte> page, int offset, ReadOnlySpan<byte> key)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(page[offset..], (ushort)key.Length);
        key.CopyTo(page[(offset + 2)..]);
        BinaryPrimitives.WriteInt64LittleEndian(page[(offset + 2 + key.Length)..], 0);
    }

    /// <summary>The address of child <paramref name="child"/> of an internal page (0 where none was written).</summary>
    public static long ChildAddress(ReadOnlySpan<byte> page, int child)
    {
        if (child == 0)
        {
            return BinaryPrimitives.ReadInt64LittleEndian(page[LeftmostChildOffset..]);
        }

        var offset = CellOffset(page, child - 1);
        var keyLength = BinaryPrimitives.ReadUInt16LittleEndian(page[offset..]);
        return BinaryPrimitives.ReadInt64LittleEndian(page[(offset + 2 + keyLength)..]);
    }

    /// <summary>Sets the address of child <paramref name="child"/> of an internal page.</summary>
    public static void SetChildAddress(Span<byte> page, int child, long address)
    {
        if (child == 0)
        {
            BinaryPrimitives.WriteInt64LittleEndian(page[LeftmostChildOffset..], address);
            return;
        }

        var offset = CellOffset(page, child - 1);
        var keyLength = BinaryPrimitives.ReadUInt16LittleEndian(page[offset..]);
        BinaryPrimitives.WriteInt64LittleEndian(page[(offset + 2 + keyLength)..], address);
    }

    /// <summary>Stores the checksum of a page about to be written at <paramref name="address"/>.</summary>
    public static void SetChecksum(Span<byte> page, long address) => PageChecksum.Set(page, address);

    /// <summary>Whether the page is a tree node (a leaf or an internal node).</summary>
    public static bool IsNode(ReadOnlySpan<byte> page) => Kind(page) is LeafKind or InternalKind;

    /// <summary>Whether a page read from <paramref name="address"/> is a node page written there, whole.</summary>
    public static bool HasValidChecksum(ReadOnlySpan<byte> page, long address) =>
        PageChecksum.IsValid(page, address) && Kind(page) is LeafKind or InternalKind;
}

/// <summary>What a leaf cell holds: version, flags, value length, and where its inline value (or overflow payload) starts.</summary>
internal readonly record struct LeafCell(long Version, byte Flags, int ValueLength, int ValueOffset)
{
    public bool IsTombstone => (Flags & PageLayout.TombstoneFlag) != 0;

    public bool IsOverflow => (Flags & PageLayout.OverflowFlag) != 0;
}
