using System.Buffers.Binary;
using System.Buffers;
using Quire.Storage.Crypto;
using Quire.Storage.Format;
using Quire.Storage.IO;

namespace Quire.Storage.Log;

/// <summary>
/// The write-ahead log: segment files of framed records with contiguous seqs. One
/// thread at a time appends (<see cref="Append"/>, <see cref="Flush"/>, <see cref="Sync"/>):
/// the log writer, or a caller leading its own commit; any thread may read from a seq.
/// </summary>
internal sealed class WriteAheadLog : IDisposable
{
    private readonly IFileSystem _fs;
    private readonly string _directory;
    private readonly DatabaseIdentity _identity;
    private readonly LogOptions _options;
    private readonly DataCipher? _cipher;
    private readonly SpareSegments _spares;
    private readonly Lock _segmentsLock = new();
    private readonly List<LogSegment> _segments;

    private IStorageFile _current;
    private long _fileOffset;      // where the buffered bytes go in the current segment
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(1 << 20);
    private int _buffered;
    private long _currentSegmentId;
    private long _capacity;        // the current segment's size: the log moves on when a record does not fit
    private (long SegmentId, long Offset) _durableEnd;   // where durable bytes end in the current segment; under _segmentsLock
    private long _bytesWritten;

    private WriteAheadLog(
        IFileSystem fs, string directory, DatabaseIdentity identity, LogOptions options,
        List<LogSegment> segments, IStorageFile current, long tailOffset, long nextSeq, SpareSegments spares, DataCipher? cipher)
    {
        _cipher = cipher;
        _fs = fs;
        _directory = directory;
        _identity = identity;
        _options = options;
        _segments = segments;
        _current = current;
        _fileOffset = tailOffset;
        _currentSegmentId = segments[^1].FirstSeq;
        _capacity = current.Length;
        _durableEnd = (_currentSegmentId, tailOffset);
        _spares = spares;
        NextSeq = nextSeq;
        WrittenSeq = nextSeq;
        DurableSeq = nextSeq;
    }

    /// <summary>The seq the next appended record starts at.</summary>
    public long NextSeq { get; private set; }

    /// <summary>Every seq below this has been handed to the OS.</summary>
    public long WrittenSeq { get; private set; }

    /// <summary>Every seq below this is durable (fdatasync returned).</summary>
    public long DurableSeq { get; private set; }

    /// <summary>Bytes of records and segment headers written: how much the log has grown.</summary>
    public long RecordBytesWritten => Interlocked.Read(ref _bytesWritten);

    /// <summary>Bytes written to log files: records, segment headers and pre-written spares.</summary>
    public long BytesWritten => _bytesWritten + _spares.BytesWritten;

    /// <summary>The first seq still held in the log.</summary>
    public long StartSeq
    {
        get
        {
            lock (_segmentsLock)
            {
                return _segments[0].FirstSeq;
            }
        }
    }

    /// <summary>
    /// About how many bytes of log follow <paramref name="seq"/> (what a reader there still
    /// has to read, and keeps on disk): whole segments after the one holding it, and of that
    /// one the share of its seqs from <paramref name="seq"/> on.
    /// </summary>
    public long BytesFrom(long seq)
    {
        lock (_segmentsLock)
        {
            var first = Math.Max(0, _segments.FindLastIndex(s => s.FirstSeq <= seq));
            var total = 0L;
            for (var i = first; i < _segments.Count; i++)
            {
                var last = i + 1 == _segments.Count;
                var (start, end) = (_segments[i].FirstSeq, last ? NextSeq : _segments[i + 1].FirstSeq);
                var bytes = (last ? Volatile.Read(ref _fileOffset) : _segments[i].Size > 0 ? _segments[i].Size : _options.SegmentSize) - FileHeader.Size;
                total += i == first && end > start ? bytes * (end - Math.Clamp(seq, start, end)) / (end - start) : bytes;
            }

            return total;
        }
    }

    /// <summary>
    /// Creates the log of a new database: the directory and a first segment starting at
    /// <paramref name="firstSeq"/> (0, or the seq after the checkpoint of a copied database).
    /// </summary>
    public static WriteAheadLog Create(
        IFileSystem fs, string databaseDirectory, DatabaseIdentity identity, LogOptions options, long firstSeq = 0, DataCipher? cipher = null)
    {
        var directory = Path.Combine(databaseDirectory, SegmentNames.Directory);
        fs.CreateDirectory(directory);
        fs.SyncDirectory(databaseDirectory);
        var spares = new SpareSegments(fs, directory, options, [], 0);
        var file = spares.Activate(spares.Take(options.FirstSegmentSize), firstSeq, identity, out var path);
        var log = new WriteAheadLog(fs, directory, identity, options, [new LogSegment(firstSeq, path, file.Length)], file, FileHeader.Size, firstSeq, spares, cipher);
        spares.EnsureOneAhead(log.NextSegmentSize);
        return log;
    }

    /// <summary>
    /// Opens an existing log, replaying every record whose ops reach
    /// <paramref name="replayFromSeq"/> or later. A record's payload is valid only
    /// during the callback. Records are sealed with <paramref name="cipher"/> in an encrypted database.
    /// </summary>
    public static WriteAheadLog Open(
        IFileSystem fs, string databaseDirectory, DatabaseIdentity identity, LogOptions options,
        long replayFromSeq, Action<LogRecord>? onRecord, out LogRecoveryReport report, DataCipher? cipher = null)
    {
        var directory = Path.Combine(databaseDirectory, SegmentNames.Directory);
        var result = LogRecovery.Recover(fs, directory, identity, replayFromSeq, onRecord, cipher);
        report = result.Report;
        var current = fs.Open(result.Segments[^1].Path, create: false);

        // What recovery read may still be only in the OS cache (the last process died before
        // its fsync). Make it durable before any new record claims it is.
        current.SyncData();
        var spares = new SpareSegments(fs, directory, options, result.Spares, result.NextSpareNumber);
        return new WriteAheadLog(fs, directory, identity, options, result.Segments, current, result.TailOffset, result.NextSeq, spares, cipher);
    }

    /// <summary>
    /// Frames one record into the write buffer. When the current segment cannot hold
    /// it, what is buffered is written and synced first and the log moves to a new
    /// segment. Hot path.
    /// </summary>
    public void Append(int opCount, ReadOnlySpan<byte> payload)
    {
        if (payload.Length > _options.MaxPayload)
        {
            throw new ArgumentException($"a record of {payload.Length} bytes exceeds the log's limit of {_options.MaxPayload} bytes");
        }

        var size = RecordFrame.FramedSize(RecordFrame.StoredLength(payload.Length, _cipher));
        if (_fileOffset + _buffered + size > _capacity)
        {
            if (_fileOffset == FileHeader.Size && _buffered == 0)
            {
                Extend(size);   // nothing in this segment yet: a new one would take its first seq, and its name
            }
            else
            {
                Roll(size);
            }
        }

        if (_buffered + size > _buffer.Length)
        {
            Grow(_buffered + size);
        }

        _buffered += RecordFrame.Write(_buffer.AsSpan(_buffered), _currentSegmentId, _identity.Epoch, NextSeq, opCount, DurableSeq, payload, _cipher);
        NextSeq += opCount;
    }

    /// <summary>Writes the buffered records to the OS in one write.</summary>
    public void Flush()
    {
        if (_buffered == 0)
        {
            return;
        }

        _current.Write(_fileOffset, _buffer.AsSpan(0, _buffered));
        _fileOffset += _buffered;
        _bytesWritten += _buffered;
        _buffered = 0;
        WrittenSeq = NextSeq;
        if (_fileOffset > _capacity / 2)
        {
            _spares.EnsureOneAhead(NextSegmentSize);
        }
    }

    /// <summary>Makes everything written durable (one fdatasync).</summary>
    public void Sync()
    {
        if (DurableSeq == WrittenSeq)
        {
            return;
        }

        _current.SyncData();
        lock (_segmentsLock)
        {
            _durableEnd = (_currentSegmentId, _fileOffset);
        }

        DurableSeq = WrittenSeq;
    }

    /// <summary>
    /// Recycles segments whose records all lie below <paramref name="seq"/> (a checkpoint
    /// covers them). The current segment is never recycled.
    /// </summary>
    public void RecycleBelow(long seq)
    {
        var changed = false;
        lock (_segmentsLock)
        {
            while (_segments.Count > 1 && _segments[1].FirstSeq <= seq)
            {
                _spares.Recycle(_segments[0].Path);
                _segments.RemoveAt(0);
                changed = true;
            }
        }

        if (changed)
        {
            _fs.SyncDirectory(_directory);
        }
    }

    /// <summary>
    /// Reads durable records from the one holding <paramref name="fromSeq"/> on. The first
    /// record may start before <paramref name="fromSeq"/>; callers skip its earlier ops.
    /// </summary>
    public IEnumerable<LogRecord> ReadFrom(long fromSeq)
    {
        LogSegment[] segments;
        long limit;
        lock (_segmentsLock)
        {
            if (fromSeq < _segments[0].FirstSeq)
            {
                throw new ArgumentOutOfRangeException(nameof(fromSeq), $"seq {fromSeq} is no longer in the log; it starts at seq {_segments[0].FirstSeq}");
            }

            segments = _segments.ToArray();
            limit = DurableSeq;
        }

        return ReadSegments(segments, fromSeq, limit);
    }

    /// <summary>
    /// The durable records from <paramref name="cursor"/>'s seq on, read from where the cursor
    /// stands (its segment and offset), which each record read moves past. The first record
    /// may start before the cursor's seq when the cursor is new; callers skip its earlier ops.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The log no longer holds the cursor's seq.</exception>
    public List<LogRecord> ReadFrom(LogCursor cursor, int maxBytes)
    {
        LogSegment[] segments;
        long limit;
        (long SegmentId, long Offset) durableEnd;
        lock (_segmentsLock)
        {
            if (cursor.NextSeq < _segments[0].FirstSeq)
            {
                throw new ArgumentOutOfRangeException(nameof(cursor), $"seq {cursor.NextSeq} is no longer in the log; it starts at seq {_segments[0].FirstSeq}");
            }

            segments = _segments.ToArray();
            limit = DurableSeq;
            durableEnd = _durableEnd;
        }

        var records = new List<LogRecord>();
        var read = 0;
        var index = cursor.Path is null ? -1 : Array.FindIndex(segments, s => s.Path == cursor.Path && s.FirstSeq == cursor.SegmentFirstSeq);
        if (index < 0)
        {
            // A new cursor (or its segment was recycled): the segment holding its seq, from the start.
            index = Array.FindLastIndex(segments, s => s.FirstSeq <= cursor.NextSeq);
            (cursor.Path, cursor.SegmentFirstSeq, cursor.Offset) = (segments[index].Path, segments[index].FirstSeq, FileHeader.Size);
        }

        while (cursor.NextSeq < limit && read < maxBytes)
        {
            // Frames before the cursor's seq (a new cursor scans its segment from the start) are
            // skipped without counting against the budget: an empty answer means nothing is there.
            var budget = records.Count == 0 ? maxBytes : maxBytes - read;
            var bytes = ReadFrames(cursor, limit, cursor.SegmentFirstSeq == durableEnd.SegmentId ? durableEnd.Offset : long.MaxValue, budget, records);
            read = records.Count == 0 ? 0 : read + bytes;
            if (bytes > 0)
            {
                continue;
            }

            if (index + 1 >= segments.Length || segments[index + 1].FirstSeq > cursor.NextSeq)
            {
                break;   // nothing more durable in this segment yet
            }

            index++;   // this segment is done: the next one holds the cursor's seq
            (cursor.Path, cursor.SegmentFirstSeq, cursor.Offset) = (segments[index].Path, segments[index].FirstSeq, FileHeader.Size);
        }

        return records;
    }

    /// <summary>
    /// Reads whole frames from the cursor's segment and offset, up to about <paramref name="maxBytes"/>
    /// and no further than <paramref name="end"/> (where its durable bytes end); the bytes read.
    /// </summary>
    private int ReadFrames(LogCursor cursor, long limit, long end, int maxBytes, List<LogRecord> records)
    {
        using var file = _fs.Open(cursor.Path!, create: false);
        var available = Math.Min(end, file.Length) - cursor.Offset;
        if (available < RecordFrame.HeaderSize)
        {
            return 0;
        }

        var data = new byte[(int)Math.Min(available, Math.Max(maxBytes, 1 << 20))];
        data = data[..file.ReadFully(cursor.Offset, data)];
        var offset = 0;
        while (RecordFrame.TryRead(data.AsSpan(offset), cursor.SegmentFirstSeq, _identity.Epoch, out var frame) && frame.FirstSeq < limit)
        {
            if (frame.FirstSeq + frame.OpCount > cursor.NextSeq)
            {
                records.Add(frame.ToRecord(data, offset + RecordFrame.HeaderSize, _cipher, cursor.Path!));
                cursor.NextSeq = frame.FirstSeq + frame.OpCount;
            }

            offset += frame.FramedSize;
            if (offset >= maxBytes)
            {
                break;
            }
        }

        if (offset == 0 && data.Length >= RecordFrame.HeaderSize && RecordFrame.TryRead(data, cursor.SegmentFirstSeq, _identity.Epoch, out _) is false
            && BinaryPrimitives.ReadInt32LittleEndian(data) is var length && length > data.Length - RecordFrame.HeaderSize && length < int.MaxValue - 64)
        {
            // One record larger than what was read: read exactly it.
            var whole = new byte[RecordFrame.FramedSize(length)];
            if (file.ReadFully(cursor.Offset, whole) == whole.Length && RecordFrame.TryRead(whole, cursor.SegmentFirstSeq, _identity.Epoch, out var big) && big.FirstSeq < limit)
            {
                records.Add(big.ToRecord(whole, RecordFrame.HeaderSize, _cipher, cursor.Path!));
                cursor.NextSeq = big.FirstSeq + big.OpCount;
                offset = big.FramedSize;
            }
        }

        cursor.Offset += offset;
        return offset;
    }

    // Reads whole files: frames past the durable limit are ignored, and a frame still being
    // written fails its CRC, so no coordination with the writer is needed.
    private IEnumerable<LogRecord> ReadSegments(LogSegment[] segments, long fromSeq, long limit)
    {
        for (var i = 0; i < segments.Length; i++)
        {
            if (i + 1 < segments.Length && segments[i + 1].FirstSeq <= fromSeq)
            {
                continue;
            }

            byte[] data;
            using (var file = _fs.Open(segments[i].Path, create: false))
            {
                data = new byte[file.Length];
                data = data[..file.ReadFully(0, data)];
            }

            var offset = FileHeader.Size;
            while (RecordFrame.TryRead(data.AsSpan(offset), segments[i].FirstSeq, _identity.Epoch, out var frame) && frame.FirstSeq < limit)
            {
                if (frame.FirstSeq + frame.OpCount > fromSeq)
                {
                    yield return frame.ToRecord(data, offset + RecordFrame.HeaderSize, _cipher, segments[i].Path);
                }

                offset += frame.FramedSize;
            }
        }
    }

    /// <summary>The next segment's size: twice this one's, up to the configured size (a new database's log starts small).</summary>
    private long NextSegmentSize => Math.Min(_options.SegmentSize, _capacity * 2);

    /// <summary>Grows the current, still empty segment (pre-written, synced) to hold a framed record of <paramref name="recordSize"/> bytes.</summary>
    private void Extend(int recordSize)
    {
        var size = Math.Max(NextSegmentSize, (FileHeader.Size + recordSize + 4095) / 4096 * 4096);
        var zeros = new byte[1 << 20];
        for (var offset = _capacity; offset < size; offset += zeros.Length)
        {
            _current.Write(offset, zeros.AsSpan(0, (int)Math.Min(zeros.Length, size - offset)));
        }

        _current.SyncData();
        _capacity = size;
        lock (_segmentsLock)
        {
            _segments[^1] = _segments[^1] with { Size = size };
        }
    }

    /// <summary>Moves to a new segment that holds at least a framed record of <paramref name="recordSize"/> bytes.</summary>
    private void Roll(int recordSize)
    {
        Flush();
        Sync();
        var needed = (FileHeader.Size + recordSize + 4095) / 4096 * 4096;
        var spare = _spares.Take(Math.Max(NextSegmentSize, needed));
        var file = _spares.Activate(spare, NextSeq, _identity, out var path);
        _current.Dispose();
        _current = file;
        _capacity = file.Length;
        lock (_segmentsLock)
        {
            _segments.Add(new LogSegment(NextSeq, path, _capacity));
            _durableEnd = (NextSeq, FileHeader.Size);
        }

        _currentSegmentId = NextSeq;
        _fileOffset = FileHeader.Size;
        _spares.EnsureOneAhead(NextSegmentSize);
    }

    private void Grow(int needed)
    {
        var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(needed, _buffer.Length * 2));
        _buffer.AsSpan(0, _buffered).CopyTo(bigger);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = bigger;
    }

    public void Dispose()
    {
        _spares.WaitIdle();
        _current.Dispose();
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
    }
}
