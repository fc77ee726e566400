using Quire.Storage.Format;
using Quire.Storage.IO;

namespace Quire.Storage.Log;

/// <summary>
/// Segment files ready for use: preallocated and pre-written with zeros (an fdatasync
/// into already-written space skips the metadata update and is about twice as fast),
/// either new or recycled from segments the log no longer needs.
/// </summary>
internal sealed class SpareSegments
{
    private const int ZeroChunk = 1 << 20;

    private readonly IFileSystem _fs;
    private readonly string _directory;
    private readonly LogOptions _options;
    private readonly Lock _lock = new();
    private readonly Queue<string> _ready;
    private long _nextNumber;
    private Task? _preparing;

    public SpareSegments(IFileSystem fs, string directory, LogOptions options, IEnumerable<string> existing, long nextNumber)
    {
        _fs = fs;
        _directory = directory;
        _options = options;
        _ready = new Queue<string>(existing);
        _nextNumber = nextNumber;
    }

    private long _bytesWritten;

    /// <summary>Bytes written while pre-writing new spares and starting segments.</summary>
    public long BytesWritten => Interlocked.Read(ref _bytesWritten);

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _ready.Count;
            }
        }
    }

    /// <summary>Takes a spare, preparing one now if none is ready.</summary>
    public string Take()
    {
        _preparing?.GetAwaiter().GetResult();
        lock (_lock)
        {
            if (_ready.TryDequeue(out var path))
            {
                return path;
            }
        }

        return Prepare();
    }

    /// <summary>Starts preparing a spare in the background if none is ready.</summary>
    public void EnsureOneAhead()
    {
        if (!_options.PrepareSpareInBackground || Count > 0 || _preparing is { IsCompleted: false })
        {
            return;
        }

        _preparing = Task.Run(() =>
        {
            var path = Prepare();
            lock (_lock)
            {
                _ready.Enqueue(path);
            }
        });
    }

    /// <summary>Turns a segment the log no longer needs into a spare, or deletes it when enough are kept. The caller syncs the directory.</summary>
    public void Recycle(string segmentPath)
    {
        lock (_lock)
        {
            if (_ready.Count >= _options.MaxSpareSegments)
            {
                _fs.Delete(segmentPath);
                return;
            }

            var spare = Path.Combine(_directory, SegmentNames.Spare(_nextNumber++));
            _fs.Rename(segmentPath, spare);
            _ready.Enqueue(spare);
        }
    }

    /// <summary>Waits for a background preparation, so nothing touches the files after the log closes.</summary>
    public void WaitIdle()
    {
        try
        {
            _preparing?.GetAwaiter().GetResult();
        }
        catch (IOException)
        {
            // A failed preparation leaves a partial spare; the next open ignores its content.
        }
    }

    private string Prepare()
    {
        long number;
        lock (_lock)
        {
            number = _nextNumber++;
        }

        var path = Path.Combine(_directory, SegmentNames.Spare(number));
        using (var file = _fs.Open(path, create: true))
        {
            var zeros = new byte[(int)Math.Min(ZeroChunk, _options.SegmentSize)];
            for (long offset = 0; offset < _options.SegmentSize; offset += zeros.Length)
            {
                var n = (int)Math.Min(zeros.Length, _options.SegmentSize - offset);
                file.Write(offset, zeros.AsSpan(0, n));
                Interlocked.Add(ref _bytesWritten, n);
            }

            file.SyncData();
        }

        _fs.SyncDirectory(_directory);
        return path;
    }

    /// <summary>Makes a spare the segment starting at <paramref name="firstSeq"/>: rename, header, syncs.</summary>
    public IStorageFile Activate(string sparePath, long firstSeq, DatabaseIdentity identity, out string segmentPath)
    {
        segmentPath = Path.Combine(_directory, SegmentNames.Segment(firstSeq));
        _fs.Rename(sparePath, segmentPath);
        var file = _fs.Open(segmentPath, create: false);
        try
        {
            var header = new byte[FileHeader.Size];
            new FileHeader(FileKind.LogSegment, FileHeader.CurrentFormatVersion, identity.PageSize, identity.DatabaseId, identity.Epoch, firstSeq)
                .Write(header);
            file.Write(0, header);
            file.SyncData();
            _fs.SyncDirectory(_directory);
            Interlocked.Add(ref _bytesWritten, header.Length);
            return file;
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }
}
