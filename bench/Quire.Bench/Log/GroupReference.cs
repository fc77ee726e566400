using Microsoft.Win32.SafeHandles;
using Quire.Storage.IO;

namespace Quire.Bench.Log;

/// <summary>
/// The bar for group commit: the least a group-commit loop can do. Writers enqueue a
/// 200-byte record and await; one thread drains the queue, writes the burst with one
/// write and one fdatasync into a pre-written file, and completes the waiters. No
/// framing, no checksums, no state: what the engine does beyond this is its overhead.
/// </summary>
public sealed class GroupReference : IDisposable
{
    private const long FileSize = 256L * 1024 * 1024;
    private readonly object _gate = new();
    private readonly SafeFileHandle _handle;
    private readonly string _path;
    private readonly Thread _writer;
    private List<(byte[] Record, TaskCompletionSource Done)> _queue = [];
    private List<(byte[] Record, TaskCompletionSource Done)> _draining = [];
    private readonly byte[] _buffer = new byte[16 * 1024 * 1024];
    private long _offset;
    private bool _stopping;

    public GroupReference(string directory)
    {
        _path = Path.Combine(directory, "groupref.bin");
        _handle = File.OpenHandle(_path, FileMode.CreateNew, FileAccess.ReadWrite);
        DiskFsync.PreWrite(_handle, _path, FileSize);
        _writer = new Thread(Run) { IsBackground = true, Name = "groupref-writer" };
        _writer.Start();
    }

    public Task AppendAsync(byte[] record)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            _queue.Add((record, done));
            if (_queue.Count == 1)
            {
                Monitor.Pulse(_gate);
            }
        }

        return done.Task;
    }

    private void Run()
    {
        while (true)
        {
            lock (_gate)
            {
                while (_queue.Count == 0 && !_stopping)
                {
                    Monitor.Wait(_gate);
                }

                if (_queue.Count == 0)
                {
                    return;
                }

                (_queue, _draining) = (_draining, _queue);
            }

            var length = 0;
            foreach (var (record, _) in _draining)
            {
                record.CopyTo(_buffer, length);
                length += record.Length;
            }

            if (_offset + length > FileSize)
            {
                _offset = 0;
            }

            RandomAccess.Write(_handle, _buffer.AsSpan(0, length), _offset);
            _offset += length;
            NativeMethods.SyncData(_handle, _path);
            foreach (var (_, done) in _draining)
            {
                done.SetResult();
            }

            _draining.Clear();
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _stopping = true;
            Monitor.Pulse(_gate);
        }

        _writer.Join();
        _handle.Dispose();
    }
}
