using System.Buffers;
using System.Buffers.Binary;
using Quire.Storage.Crypto;
using Quire.Storage.Format;
using Quire.Storage.IO;

namespace Quire.Storage.Log;

/// <summary>
/// Opens an existing log: validates every segment, replays records, and decides what
/// an invalid frame means. A bad frame followed only by zeros, stale frames or frames
/// that were never made durable is a torn tail: it is erased and reported. A bad frame
/// followed by a frame whose <c>durable seq</c> proves the bad one had been fsynced, or
/// a gap in seqs, is corruption: the open is refused with the file and offset.
/// </summary>
internal static class LogRecovery
{
    public sealed record Result(
        List<LogSegment> Segments, long TailOffset, long NextSeq, List<string> Spares, long NextSpareNumber, LogRecoveryReport Report);

    public static Result Recover(
        IFileSystem fs, string walDirectory, DatabaseIdentity identity, long replayFromSeq, Action<LogRecord>? onRecord, DataCipher? cipher = null)
    {
        var (segments, spares, nextSpare) = ListFiles(fs, walDirectory);
        if (segments.Count == 0)
        {
            throw new CorruptDataException("the log has no segments", walDirectory, -1);
        }

        long expected = 0;
        long records = 0;
        long tailOffset = FileHeader.Size;
        TornTail? torn = null;
        var removed = new List<string>();

        for (var i = 0; i < segments.Count; i++)
        {
            var segment = segments[i];
            var last = i == segments.Count - 1;
            using var file = fs.Open(segment.Path, create: false);
            var length = (int)Math.Min(file.Length, int.MaxValue);
            var rented = ArrayPool<byte>.Shared.Rent(Math.Max(length, FileHeader.Size));
            try
            {
                var data = rented.AsSpan(0, file.ReadFully(0, rented.AsSpan(0, length)));
                var header = FileHeader.TryRead(data, FileKind.LogSegment, segment.Path);
                if (header is null)
                {
                    if (last && i > 0)
                    {
                        // A crash while a new segment was being started: nothing was written to it yet.
                        file.Dispose();
                        fs.Delete(segment.Path);
                        fs.SyncDirectory(walDirectory);
                        removed.Add(segment.Path);
                        segments.RemoveAt(i);
                        break;
                    }

                    throw new CorruptDataException("log segment header is damaged", segment.Path, 0);
                }

                header.Value.EnsureBelongsTo(identity, segment.Path);
                if (header.Value.FileId != segment.FirstSeq)
                {
                    throw new CorruptDataException(
                        $"segment header says it starts at seq {header.Value.FileId} but the file is named for seq {segment.FirstSeq}", segment.Path, 0);
                }

                if (i == 0)
                {
                    expected = segment.FirstSeq;
                }
                else if (segment.FirstSeq != expected)
                {
                    throw new CorruptDataException(
                        $"seq gap: the log before this segment ends at seq {expected - 1}, this segment starts at seq {segment.FirstSeq}", segment.Path, 0);
                }

                var offset = FileHeader.Size;
                while (RecordFrame.TryRead(data[offset..], segment.FirstSeq, identity.Epoch, out var frame))
                {
                    if (frame.FirstSeq != expected)
                    {
                        throw new CorruptDataException($"seq gap: expected a record at seq {expected}, found seq {frame.FirstSeq}", segment.Path, offset);
                    }

                    if (onRecord is not null && frame.FirstSeq + frame.OpCount > replayFromSeq)
                    {
                        onRecord(frame.ToRecord(rented, offset + RecordFrame.HeaderSize, cipher, segment.Path));
                    }

                    expected += frame.OpCount;
                    records++;
                    offset += frame.FramedSize;
                }

                var (dropEnd, droppedRecords) = FindFramesAfter(data, offset, segment, identity.Epoch, expected);
                if (!IsCleanEnd(data, offset, segment.FirstSeq) || droppedRecords > 0)
                {
                    var end = Math.Max(dropEnd, TornRecordEnd(data, offset));
                    if (end > offset)
                    {
                        Erase(file, offset, end);
                    }

                    if (last)
                    {
                        torn = new TornTail(segment.Path, offset, end - offset, droppedRecords);
                    }
                }

                tailOffset = offset;
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }

        var report = new LogRecoveryReport
        {
            StartSeq = segments[0].FirstSeq,
            NextSeq = expected,
            Records = records,
            TornTail = torn,
            RemovedSegments = removed,
        };
        return new Result(segments, tailOffset, expected, spares, nextSpare, report);
    }

    /// <summary>The segments (sorted by seq) and spares in the log directory.</summary>
    public static (List<LogSegment> Segments, List<string> Spares, long NextSpareNumber) ListFiles(IFileSystem fs, string walDirectory)
    {
        var segments = new List<LogSegment>();
        var spares = new List<string>();
        long nextSpare = 0;
        foreach (var name in fs.ListFiles(walDirectory))
        {
            if (SegmentNames.TryParseSegment(name, out var firstSeq))
            {
                segments.Add(new LogSegment(firstSeq, Path.Combine(walDirectory, name)));
            }
            else if (SegmentNames.TryParseSpare(name, out var number))
            {
                spares.Add(Path.Combine(walDirectory, name));
                nextSpare = Math.Max(nextSpare, number + 1);
            }
        }

        segments.Sort((a, b) => a.FirstSeq.CompareTo(b.FirstSeq));
        return (segments, spares, nextSpare);
    }

    /// <summary>
    /// Looks past the first invalid position for frames that are valid. One whose
    /// durable seq is beyond <paramref name="expected"/> proves the missing record had
    /// been fsynced: corruption. Others belong to the same unsynced burst and are
    /// dropped with the tail. Returns the end of the furthest such frame and their count.
    /// </summary>
    private static (int End, int Count) FindFramesAfter(ReadOnlySpan<byte> data, int offset, LogSegment segment, ulong epoch, long expected)
    {
        var end = offset;
        var count = 0;
        for (var p = offset + RecordFrame.Alignment; p + RecordFrame.HeaderSize <= data.Length; p += RecordFrame.Alignment)
        {
            // Cheap filters first: most positions are zeros, stale frames with older seqs, or
            // the insides of stale records. A frame of this incarnation written after the
            // damage starts at most one seq per byte past it (every op takes a byte at least),
            // which rules out the random seqs of stale payloads before their CRC is computed.
            var length = BinaryPrimitives.ReadInt32LittleEndian(data[p..]);
            var seq = RecordFrame.PeekSeq(data[p..]);
            if (length <= 0 || length > data.Length - p - RecordFrame.HeaderSize || seq < expected || seq > expected + (p - offset))
            {
                continue;
            }

            if (!RecordFrame.TryRead(data[p..], segment.FirstSeq, epoch, out var frame))
            {
                continue;
            }

            if (frame.DurableSeq > expected)
            {
                throw new CorruptDataException(
                    $"the record at seq {expected} is damaged, yet a later record (seq {frame.FirstSeq}) was written after it was made durable",
                    segment.Path,
                    offset);
            }

            count++;
            end = Math.Max(end, p + frame.FramedSize);
        }

        return (end, count);
    }

    /// <summary>True when nothing was ever written at <paramref name="offset"/> in this incarnation of the segment.</summary>
    private static bool IsCleanEnd(ReadOnlySpan<byte> data, int offset, long segmentFirstSeq)
    {
        if (offset + RecordFrame.HeaderSize > data.Length)
        {
            return true;
        }

        // Zeros: pre-written space. A frame with an older seq: left by the segment's previous use.
        var rest = data[offset..];
        return RecordFrame.IsZeroHeader(rest) || RecordFrame.PeekSeq(rest) < segmentFirstSeq;
    }

    /// <summary>Where a partly written record at <paramref name="offset"/> would end, as far as its header can be trusted.</summary>
    private static int TornRecordEnd(ReadOnlySpan<byte> data, int offset)
    {
        if (offset + RecordFrame.HeaderSize > data.Length)
        {
            return data.Length;
        }

        var length = BinaryPrimitives.ReadInt32LittleEndian(data[offset..]);
        var claimed = length >= 0 && length <= data.Length - offset - RecordFrame.HeaderSize
            ? RecordFrame.FramedSize(length)
            : RecordFrame.HeaderSize;
        return offset + claimed;
    }

    /// <summary>Zeroes a cut region and syncs it, so the cut survives a crash and no stale frame is ever read as new.</summary>
    private static void Erase(IStorageFile file, int from, int to)
    {
        var zeros = new byte[Math.Min(to - from, 1 << 20)];
        for (var p = from; p < to; p += zeros.Length)
        {
            file.Write(p, zeros.AsSpan(0, Math.Min(zeros.Length, to - p)));
        }

        file.SyncData();
    }
}
