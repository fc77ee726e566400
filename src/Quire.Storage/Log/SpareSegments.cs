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
    private readonly Queue<(string Path, long Size)> _ready;
    private long _nextNumber;
    private Task? _preparing;

    public SpareSegments(IFileSystem fs, string directory, LogOptions options, IEnumerable<string> existing, long nextNumber)
    {
        _fs = fs;
        _directory = directory;
        _options = options;
        _ready = new Queue<(string, long)>(existing.Select(path => (path, LengthOf(fs, path))));
        _nextNumber = nextNumber;
    }

    private long _bytesWritten;

    /// <summary>Bytes written while pre-writing new spares and starting segments.</summary>
    public long BytesWritten => Interlocked.Read(ref _bytesWritten);

    /// <summary>Takes a spare of at least <paramref name="size"/> bytes, preparing one now if none is ready; smaller ones are deleted.</summary>
    public string Take(long size)
    {
        _preparing?.GetAwaiter().GetResult();
        lock (_lock)
        {
            while (_ready.TryDequeue(out var spare))
            {
                if (spare.Size >= size)
                {
                    return spare.Path;
                }

                _fs.Delete(spare.Path);   // a short one of a young log: the log has grown past it
            }
        }

        return Prepare(size);
    }

    /// <summary>Starts preparing a spare of <paramref name="size"/> bytes in the background unless one that large is ready.</summary>
    public void EnsureOneAhead(long size)
    {
        if (!_options.PrepareSpareInBackground || _preparing is { IsCompleted: false })
        {
            return;
        }

        lock (_lock)
        {
            if (_ready.Any(spare => spare.Size >= size))
            {
                return;
            }
        }

        _preparing = Task.Run(() =>
        {
            var path = Prepare(size);
            lock (_lock)
            {
                _ready.Enqueue((path, size));
            }
        });
    }

    /// <summary>Turns a segment the log no longer needs into a spare, or deletes it when enough are kept. The caller syncs the directory.</summary>
    public void Recycle(string segmentPath)
    {
        lock (_lock)
        {
            var size = LengthOf(_fs, segmentPath);
            if (_ready.Count >= _options.MaxSpareSegments || size < _options.SegmentSize)
            {
                _fs.Delete(segmentPath);   // enough kept, or a short one of a young log
                return;
            }

            var spare = Path.Combine(_directory, SegmentNames.Spare(_nextNumber++));
            _fs.Rename(segmentPath, spare);
            _ready.Enqueue((spare, size));
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

    private string Prepare(long size)
    {
        long number;
        lock (_lock)
        {
            number = _nextNumber++;
        }

        var path = Path.Combine(_directory, SegmentNames.Spare(number));
        using (var file = _fs.Open(path, create: true))
        {
            var zeros = new byte[(int)Math.Min(ZeroChunk, size)];
            for (long offset = 0; offset < size; offset += zeros.Length)
            {
                var n = (int)Math.Min(zeros.Length, size - offset);
                file.Write(offset, zeros.AsSpan(0, n));
                Interlocked.Add(ref _bytesWritten, n);
            }

            file.SyncData();
        }

        _fs.SyncDirectory(_directory);
        return path;
    }

    private static long LengthOf(IFileSystem fs, string path)
    {
        using var file = fs.Open(path, create: false);
        return file.Length;
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
