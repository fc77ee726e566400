using System.Buffers.Binary;

namespace Quire.Storage.Format;

/// <summary>
/// What a checkpoint made durable: the tree's root page, the last seq it covers, and
/// the state of the file's space. Written to one of two slots in turn; on open the
/// valid one with the highest <see cref="Checkpoint"/> number wins, so a torn
/// superblock write leaves the previous checkpoint in force. Its CRC also covers the
/// database UUID and epoch, so a superblock of another database never passes.
/// <see cref="ChainHead"/> is the hash chain's head at <see cref="CoveredSeq"/>: replay continues from it.
/// <see cref="KeepsHistory"/> (bit 0 of the flags byte, zero in files written before it
/// existed) says the tree holds every past version since its history floor: a run that
/// kept history wrote it. Opening with history kept, a checkpoint without it means the
/// floor must start again at the last seq.
/// </summary>
internal sealed record Superblock(
    long Checkpoint, long CoveredSeq, long RootAddress, int Depth, long KeyCount, long PageCount, long FreeListAddress, long FreeListPages, byte[] ChainHead,
    bool KeepsHistory = false)
{
    private const int ChainHeadOffset = 72;
    private const int FlagsOffset = ChainHeadOffset + HashChain.HashSize;
    private const byte KeepsHistoryFlag = 1;
    private const int EncodedLength = 128;
    private const int CrcOffset = EncodedLength - 4;
    private static ReadOnlySpan<byte> Magic => "QUIRESB\0"u8;

    /// <summary>The superblock of a new database: no tree, nothing covered, pages up to the two slots in use.</summary>
    public static Superblock Empty(long firstDataPage) => new(0, -1, 0, 1, 0, firstDataPage, 0, 0, new byte[HashChain.HashSize]);

    public void Write(Span<byte> destination, DatabaseIdentity identity)
    {
        var d = destination[..EncodedLength];
        d.Clear();
        Magic.CopyTo(d);
        BinaryPrimitives.WriteInt64LittleEndian(d[8..], Checkpoint);
        BinaryPrimitives.WriteInt64LittleEndian(d[16..], CoveredSeq);
        BinaryPrimitives.WriteInt64LittleEndian(d[24..], RootAddress);
        BinaryPrimitives.WriteInt32LittleEndian(d[32..], Depth);
        BinaryPrimitives.WriteInt64LittleEndian(d[40..], KeyCount);
        BinaryPrimitives.WriteInt64LittleEndian(d[48..], PageCount);
        BinaryPrimitives.WriteInt64LittleEndian(d[56..], FreeListAddress);
        BinaryPrimitives.WriteInt64LittleEndian(d[64..], FreeListPages);
        ChainHead.CopyTo(d[ChainHeadOffset..]);
        d[FlagsOffset] = KeepsHistory ? KeepsHistoryFlag : (byte)0;
        BinaryPrimitives.WriteUInt32LittleEndian(d[CrcOffset..], Checksum(d, identity));
    }

    /// <summary>The superblock in <paramref name="source"/>, or null when it is torn, blank or of another database.</summary>
    public static Superblock? TryRead(ReadOnlySpan<byte> source, DatabaseIdentity identity)
    {
        if (source.Length < EncodedLength || !source[..8].SequenceEqual(Magic)
            || BinaryPrimitives.ReadUInt32LittleEndian(source[CrcOffset..]) != Checksum(source, identity))
        {
            return null;
        }

        return new Superblock(
            BinaryPrimitives.ReadInt64LittleEndian(source[8..]),
            BinaryPrimitives.ReadInt64LittleEndian(source[16..]),
            BinaryPrimitives.ReadInt64LittleEndian(source[24..]),
            BinaryPrimitives.ReadInt32LittleEndian(source[32..]),
            BinaryPrimitives.ReadInt64LittleEndian(source[40..]),
            BinaryPrimitives.ReadInt64LittleEndian(source[48..]),
            BinaryPrimitives.ReadInt64LittleEndian(source[56..]),
            BinaryPrimitives.ReadInt64LittleEndian(source[64..]),
            source.Slice(ChainHeadOffset, HashChain.HashSize).ToArray(),
            (source[FlagsOffset] & KeepsHistoryFlag) != 0);
    }

    private static uint Checksum(ReadOnlySpan<byte> encoded, DatabaseIdentity identity)
    {
        Span<byte> id = stackalloc byte[16];
        identity.DatabaseId.TryWriteBytes(id);
        var crc = Crc32C.Append(Crc32C.Seed, id);
        crc = Crc32C.Append(crc, identity.Epoch);
        return Crc32C.Finish(Crc32C.Append(crc, encoded[..CrcOffset]));
    }
}
