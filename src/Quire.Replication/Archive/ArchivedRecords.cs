using System.Buffers.Binary;
using Quire.Storage.Format;
using Quire.Storage.Log;

namespace Quire.Replication.Archive;

/// <summary>
/// One archived stretch of the log as an object: consecutive log records, each kept whole so a
/// restore can stop after any of them. <c>[magic "QARC"][version 1][record count: 4]</c>, then per
/// record <c>[first seq: 8][op count: 4][length: 4][payload]</c>, then a CRC-32C of everything
/// before it (little-endian).
/// </summary>
internal static class ArchivedRecords
{
    private const int HeaderSize = 9;
    private const int RecordHeaderSize = 16;
    private static readonly byte[] Magic = "QARC"u8.ToArray();
    private static readonly byte[] SealedMagic = "QARE"u8.ToArray();

    /// <summary>An encrypted database's object: <c>[magic "QARE"]</c> and the stretch sealed under its data key (bound to the object's name).</summary>
    public static byte[] Sealed(byte[] sealedStretch) => [.. SealedMagic, .. sealedStretch];

    /// <summary>The records of an object as read from the archive, opened with <paramref name="open"/> (the restored database's key) when sealed.</summary>
    /// <exception cref="CorruptDataException">It is not intact, or sealed and fails its tag.</exception>
    public static List<LogRecord> Read(byte[] data, string name, Func<byte[], string, byte[]> open) =>
        Decode(data.AsSpan().StartsWith(SealedMagic) ? open(data[SealedMagic.Length..], name) : data, name);

    /// <summary>The object holding <paramref name="records"/> (consecutive, at least one).</summary>
    public static byte[] Encode(IReadOnlyList<LogRecord> records)
    {
        var data = new byte[HeaderSize + records.Sum(r => RecordHeaderSize + r.Payload.Length) + 4];
        Magic.CopyTo(data, 0);
        data[4] = 1;
        BinaryPrimitives.WriteInt32LittleEndian(data.AsSpan(5), records.Count);
        var at = HeaderSize;
        foreach (var record in records)
        {
            BinaryPrimitives.WriteInt64LittleEndian(data.AsSpan(at), record.FirstSeq);
            BinaryPrimitives.WriteInt32LittleEndian(data.AsSpan(at + 8), record.OpCount);
            BinaryPrimitives.WriteInt32LittleEndian(data.AsSpan(at + 12), record.Payload.Length);
            record.Payload.Span.CopyTo(data.AsSpan(at + RecordHeaderSize));
            at += RecordHeaderSize + record.Payload.Length;
        }

        BinaryPrimitives.WriteUInt32LittleEndian(data.AsSpan(at), Crc(data.AsSpan(0, at)));
        return data;
    }

    /// <summary>The records an object holds, in order.</summary>
    /// <exception cref="CorruptDataException">It is not an intact archived stretch of log.</exception>
    public static List<LogRecord> Decode(byte[] data, string key)
    {
        if (data.Length < HeaderSize + 4 || !data.AsSpan(0, 4).SequenceEqual(Magic) || data[4] != 1
            || BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(data.Length - 4)) != Crc(data.AsSpan(0, data.Length - 4)))
        {
            throw new CorruptDataException("not an intact archived stretch of log", key, 0);
        }

        var count = BinaryPrimitives.ReadInt32LittleEndian(data.AsSpan(5));
        var records = new List<LogRecord>(Math.Min(count, 1 << 16));
        var at = HeaderSize;
        for (var i = 0; i < count; i++)
        {
            var length = at + RecordHeaderSize <= data.Length - 4 ? BinaryPrimitives.ReadInt32LittleEndian(data.AsSpan(at + 12)) : -1;
            if (length < 0 || at + RecordHeaderSize + length > data.Length - 4)
            {
                throw new CorruptDataException($"archived record {i} runs past the object", key, at);
            }

            records.Add(new LogRecord(BinaryPrimitives.ReadInt64LittleEndian(data.AsSpan(at)), BinaryPrimitives.ReadInt32LittleEndian(data.AsSpan(at + 8)), data.AsMemory(at + RecordHeaderSize, length)));
            at += RecordHeaderSize + length;
        }

        return at == data.Length - 4 ? records : throw new CorruptDataException("bytes after the last archived record", key, at);
    }

    private static uint Crc(ReadOnlySpan<byte> data) => Crc32C.Compute(data);
}
