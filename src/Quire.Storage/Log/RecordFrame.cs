using System.Buffers.Binary;
using Quire.Storage.Crypto;
using Quire.Storage.Format;

namespace Quire.Storage.Log;

/// <summary>
/// The framing of one log record: <c>[length][crc32c][first seq][op count][salt][durable seq][payload]</c>,
/// padded to 8 bytes. In an encrypted database the payload is sealed (ciphertext and tag,
/// see <see cref="DataCipher"/>) and <c>salt</c> is part of its nonce; otherwise it is 0. The CRC also covers the segment id and the epoch, so a stale
/// frame left in a recycled segment, or one from another incarnation of the database,
/// never passes. <c>durable seq</c> says that every seq below it was fsynced before this
/// record was written; recovery uses it to tell a torn tail from corruption.
/// </summary>
internal static class RecordFrame
{
    public const int HeaderSize = 32;
    public const int Alignment = 8;

    public static int FramedSize(int payloadLength) => Align(HeaderSize + payloadLength);

    public static int Align(int size) => (size + Alignment - 1) & ~(Alignment - 1);

    /// <summary>The bytes a payload takes in its frame: itself, sealed when <paramref name="cipher"/> is set.</summary>
    public static int StoredLength(int payloadLength, DataCipher? cipher) =>
        cipher is null ? payloadLength : payloadLength + DataCipher.RecordOverhead;

    /// <summary>Writes header, payload (sealed with <paramref name="cipher"/> when set) and zero padding. Hot path.</summary>
    public static int Write(
        Span<byte> destination, long segmentId, ulong epoch, long firstSeq, int opCount, long durableSeq, ReadOnlySpan<byte> payload, DataCipher? cipher = null)
    {
        var stored = StoredLength(payload.Length, cipher);
        var size = FramedSize(stored);
        var frame = destination[..size];
        BinaryPrimitives.WriteInt32LittleEndian(frame, stored);
        BinaryPrimitives.WriteInt64LittleEndian(frame[8..], firstSeq);
        BinaryPrimitives.WriteInt32LittleEndian(frame[16..], opCount);
        BinaryPrimitives.WriteUInt32LittleEndian(frame[20..], cipher?.RecordSalt ?? 0);
        BinaryPrimitives.WriteInt64LittleEndian(frame[24..], durableSeq);
        if (cipher is null)
        {
            payload.CopyTo(frame[HeaderSize..]);
        }
        else
        {
            cipher.SealRecord(payload, frame.Slice(HeaderSize, stored), firstSeq, opCount);
        }

        frame[(HeaderSize + stored)..].Clear();
        SetChecksum(frame, segmentId, epoch);
        return size;
    }

    /// <summary>Stores the CRC of a whole frame (header and payload written) of segment <paramref name="segmentId"/>.</summary>
    public static void SetChecksum(Span<byte> frame, long segmentId, ulong epoch) =>
        BinaryPrimitives.WriteUInt32LittleEndian(frame[4..], Checksum(frame, BinaryPrimitives.ReadInt32LittleEndian(frame), segmentId, epoch));

    /// <summary>
    /// Parses the frame at the start of <paramref name="data"/>; false when it is not a
    /// whole, valid frame of this segment and epoch.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> data, long segmentId, ulong epoch, out FrameInfo info)
    {
        info = default;
        if (data.Length < HeaderSize)
        {
            return false;
        }

        var length = BinaryPrimitives.ReadInt32LittleEndian(data);
        if (length < 0 || length > data.Length - HeaderSize)
        {
            return false;
        }

        var opCount = BinaryPrimitives.ReadInt32LittleEndian(data[16..]);
        if (opCount <= 0 || BinaryPrimitives.ReadUInt32LittleEndian(data[4..]) != Checksum(data, length, segmentId, epoch))
        {
            return false;
        }

        info = new FrameInfo(
            BinaryPrimitives.ReadInt64LittleEndian(data[8..]),
            opCount,
            BinaryPrimitives.ReadInt64LittleEndian(data[24..]),
            length,
            FramedSize(length),
            BinaryPrimitives.ReadUInt32LittleEndian(data[20..]));
        return true;
    }

    /// <summary>The first seq a frame header claims, without validating it (for telling stale from torn).</summary>
    public static long PeekSeq(ReadOnlySpan<byte> data) => data.Length >= 16 ? BinaryPrimitives.ReadInt64LittleEndian(data[8..]) : -1;

    /// <summary>True when the bytes where a header would be are all zero (never written).</summary>
    public static bool IsZeroHeader(ReadOnlySpan<byte> data) =>
        data.Length < HeaderSize ? !data.ContainsAnyExcept((byte)0) : !data[..HeaderSize].ContainsAnyExcept((byte)0);

    private static uint Checksum(ReadOnlySpan<byte> frame, int payloadLength, long segmentId, ulong epoch)
    {
        var crc = Crc32C.Append(Crc32C.Seed, (ulong)segmentId);
        crc = Crc32C.Append(crc, epoch);
        crc = Crc32C.Append(crc, frame[..4]);
        crc = Crc32C.Append(crc, frame[8..(HeaderSize + payloadLength)]);
        return Crc32C.Finish(crc);
    }
}

/// <summary>What a valid frame header says. <c>PayloadLength</c> is the stored length (sealed, in an encrypted database).</summary>
internal readonly record struct FrameInfo(long FirstSeq, int OpCount, long DurableSeq, int PayloadLength, int FramedSize, uint Salt)
{
    /// <summary>
    /// The record this frame holds, its payload at <paramref name="payloadOffset"/> of
    /// <paramref name="data"/>; opened into a new array when <paramref name="cipher"/> is set.
    /// Throws <see cref="CorruptDataException"/> when the payload fails its tag.
    /// </summary>
    public LogRecord ToRecord(byte[] data, int payloadOffset, DataCipher? cipher, string path)
    {
        var stored = data.AsMemory(payloadOffset, PayloadLength);
        if (cipher is null)
        {
            return new LogRecord(FirstSeq, OpCount, stored);
        }

        var plain = new byte[Math.Max(0, PayloadLength - DataCipher.RecordOverhead)];
        if (!cipher.OpenRecord(stored.Span, plain, Salt, FirstSeq, OpCount))
        {
            throw new CorruptDataException($"the log record at seq {FirstSeq} fails its authentication tag", path, payloadOffset);
        }

        return new LogRecord(FirstSeq, OpCount, plain);
    }
}
