using System.Buffers;
using System.Buffers.Binary;
using Quire.Storage.Log;

namespace Quire.Server.Replication;

/// <summary>
/// The replication stream's frames, binary: a log record <c>[1][first seq: 8][op count: 4]
/// [length: 4][payload]</c>, exactly as the primary's log holds it, or a heartbeat
/// <c>[2][primary's last seq: 8][primary's clock, unix ms: 8]</c> (big-endian), so a replica
/// knows how far behind it is while nothing is written.
/// </summary>
internal static class ReplicationFrames
{
    public const string ContentType = "application/vnd.quire.log";

    /// <summary>The response header carrying the primary's replication epoch.</summary>
    public const string EpochHeader = "Quire-Epoch";
    public const byte Record = 1;
    public const byte Heartbeat = 2;

    /// <summary>The largest payload a frame may announce (the log's own limit is lower).</summary>
    public const int MaxPayload = 256 * 1024 * 1024;

    /// <summary>
    /// Writes consecutive records as one: their payloads one after the other are a valid
    /// payload of all their ops, so a replica commits them together (one commit, not one per
    /// record) and still takes the same seqs.
    /// </summary>
    public static void WriteRecords(IBufferWriter<byte> output, IReadOnlyList<LogRecord> records)
    {
        var header = output.GetSpan(17);
        header[0] = Record;
        BinaryPrimitives.WriteInt64BigEndian(header[1..], records[0].FirstSeq);
        BinaryPrimitives.WriteInt32BigEndian(header[9..], records.Sum(r => r.OpCount));
        BinaryPrimitives.WriteInt32BigEndian(header[13..], records.Sum(r => r.Payload.Length));
        output.Advance(17);
        foreach (var record in records)
        {
            output.Write(record.Payload.Span);
        }
    }

    public static void WriteHeartbeat(IBufferWriter<byte> output, long primarySeq, long unixMs)
    {
        var frame = output.GetSpan(17);
        frame[0] = Heartbeat;
        BinaryPrimitives.WriteInt64BigEndian(frame[1..], primarySeq);
        BinaryPrimitives.WriteInt64BigEndian(frame[9..], unixMs);
        output.Advance(17);
    }

    /// <summary>One frame read from a stream.</summary>
    public readonly record struct Frame(byte Kind, LogRecord Record, long PrimarySeq, long UnixMs);

    /// <summary>Reads the next frame; null at the end of the stream.</summary>
    /// <exception cref="InvalidDataException">Not a frame (a cut or garbled stream).</exception>
    public static async Task<Frame?> ReadAsync(Stream stream, CancellationToken cancellationToken)
    {
        var header = new byte[17];
        var got = await stream.ReadAtLeastAsync(header, 17, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        if (got == 0)
        {
            return null;
        }

        if (got < 17)
        {
            throw new InvalidDataException("the stream ended inside a frame header");
        }

        switch (header[0])
        {
            case Heartbeat:
                return new Frame(Heartbeat, default, BinaryPrimitives.ReadInt64BigEndian(header.AsSpan(1)), BinaryPrimitives.ReadInt64BigEndian(header.AsSpan(9)));
            case Record:
                var firstSeq = BinaryPrimitives.ReadInt64BigEndian(header.AsSpan(1));
                var opCount = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(9));
                var length = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(13));
                if (firstSeq < 0 || opCount <= 0 || length <= 0 || length > MaxPayload)
                {
                    throw new InvalidDataException($"a record frame with seq {firstSeq}, {opCount} ops, {length} bytes");
                }

                var payload = await ReadPayloadAsync(stream, length, cancellationToken).ConfigureAwait(false)
                    ?? throw new InvalidDataException("the stream ended inside a record");
                return new Frame(Record, new LogRecord(firstSeq, opCount, payload), 0, 0);
            default:
                throw new InvalidDataException($"unknown frame kind {header[0]}");
        }
    }

    /// <summary>
    /// A payload of the announced length, or null when the stream ends first. The buffer
    /// grows as bytes arrive, so a frame that announces more than it carries costs what it
    /// carried, not what it announced.
    /// </summary>
    private static async Task<byte[]?> ReadPayloadAsync(Stream stream, int length, CancellationToken cancellationToken)
    {
        var payload = new byte[Math.Min(length, 1 << 20)];
        var got = 0;
        while (got < length)
        {
            if (got == payload.Length)
            {
                Array.Resize(ref payload, (int)Math.Min(length, payload.Length * 2L));
            }

            var read = await stream.ReadAsync(payload.AsMemory(got), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                return null;
            }

            got += read;
        }

        return payload;
    }
}
