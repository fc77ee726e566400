using System.Runtime.ExceptionServices;

namespace Quire.Storage.Engine;

/// <summary>
/// Writes the pages a checkpoint builds, a megabyte at a time, on a thread of its own.
/// The checkpoint builds each page image in place in a buffer; pages at consecutive
/// addresses form a run, written with one call (a checkpoint mostly takes pages in
/// order, and tens of thousands of page-sized writes cost more in system calls than in
/// copying). A full buffer, holding one run or many when reused space is scattered, is
/// handed to the writing thread, which writes its runs and starts their writeback with
/// one hint, while the checkpoint fills the next buffer: the kernel's half of the work
/// (copying into the page cache, submitting the writeback) overlaps the checkpoint's
/// half (copying and checksumming pages), on a second core when one is free, and the
/// fdatasync at the end has less left to wait for. A failed write is thrown to the
/// checkpoint by the next call that waits, and nothing after it is written.
/// </summary>
internal sealed class PageRunWriter : IDisposable
{
    private const int BufferBytes = 1024 * 1024;
    private const int BufferCount = 3; // one being filled, one being written, one spare: 3 MiB pinned per engine once it checkpoints

    private readonly object _gate = new();
    private readonly DataFile _file;
    private readonly int _pageSize;
    private readonly Stack<Batch> _free = new();
    private readonly Queue<Batch> _queued = new();
    private readonly Thread _thread;
    private Batch? _current;
    private int _buffers;
    private bool _writing;
    private bool _stopping;
    private ExceptionDispatchInfo? _failure;

    public PageRunWriter(DataFile file, int pageSize)
    {
        _file = file;
        _pageSize = pageSize;
        _thread = new Thread(WriteBatches) { IsBackground = true, Name = "quire-page-writer" };
        _thread.Start();
    }

    /// <summary>
    /// The buffer of the page for <paramref name="address"/> (a full buffer is handed to
    /// the writing thread first): the caller builds the page image in place, before the
    /// next call, so each page is copied once on its way out. Throws what failed an
    /// earlier write.
    /// </summary>
    public Span<byte> Next(long address)
    {
        if (_current is { IsFull: true })
        {
            Submit();
        }

        _current ??= TakeBuffer();
        return _current.Add(address);
    }

    /// <summary>Writes what is queued and waits until it is written; throws what failed.</summary>
    public void Flush()
    {
        Submit();
        lock (_gate)
        {
            while (_queued.Count > 0 || _writing)
            {
                Monitor.Wait(_gate);
            }

            ThrowIfFailedLocked();
        }
    }

    /// <summary>Drops what is not written yet and waits for a write in progress (the attempt failed), so the next attempt starts clean.</summary>
    public void Discard()
    {
        lock (_gate)
        {
            if (_current is not null)
            {
                _free.Push(_current.Cleared());
                _current = null;
            }

            while (_queued.TryDequeue(out var batch))
            {
                _free.Push(batch.Cleared());
            }

            while (_writing)
            {
                Monitor.Wait(_gate);
            }

            _failure = null;
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _stopping = true;
            Monitor.PulseAll(_gate);
        }

        _thread.Join();
    }

    private void Submit()
    {
        if (_current is null)
        {
            return;
        }

        lock (_gate)
        {
            _queued.Enqueue(_current);
            Monitor.PulseAll(_gate);
        }

        _current = null;
    }

    private Batch TakeBuffer()
    {
        lock (_gate)
        {
            ThrowIfFailedLocked();

            // Buffers are made on first need: an engine that never checkpoints holds none.
            if (_free.Count == 0 && _buffers < BufferCount)
            {
                _buffers++;
                return new Batch(BufferBytes / _pageSize, _pageSize);
            }

            while (_free.Count == 0 && _failure is null)
            {
                Monitor.Wait(_gate);
            }

            ThrowIfFailedLocked();
            return _free.Pop();
        }
    }

    // The failure stays until Discard, so nothing queued after it is written meanwhile.
    private void ThrowIfFailedLocked() => _failure?.Throw();

    private void WriteBatches()
    {
        while (true)
        {
            Batch batch;
            lock (_gate)
            {
                while (_queued.Count == 0 && !_stopping)
                {
                    Monitor.Wait(_gate);
                }

                if (!_queued.TryDequeue(out batch!))
                {
                    return;
                }

                _writing = true;
            }

            try
            {
                // After a failure nothing more is written: the checkpoint is being abandoned.
                if (Volatile.Read(ref _failure) is null)
                {
                    batch.WriteTo(_file);
                }
            }
            catch (Exception ex)
            {
                lock (_gate)
                {
                    _failure ??= ExceptionDispatchInfo.Capture(ex);
                }
            }
            finally
            {
                lock (_gate)
                {
                    _free.Push(batch.Cleared());
                    _writing = false;
                    Monitor.PulseAll(_gate);
                }
            }
        }
    }

    /// <summary>One buffer of page images and the runs they form, in the order they were added.</summary>
    private sealed class Batch(int capacity, int pageSize)
    {
        private readonly byte[] _buffer = GC.AllocateUninitializedArray<byte>(capacity * pageSize, pinned: true);
        private readonly long[] _runFirst = new long[capacity];
        private readonly int[] _runPages = new int[capacity];
        private int _runs;
        private int _pages;

        public bool IsFull => _pages == capacity;

        /// <summary>The next page's buffer, extending the last run when <paramref name="address"/> continues it.</summary>
        public Span<byte> Add(long address)
        {
            if (_runs > 0 && address == _runFirst[_runs - 1] + _runPages[_runs - 1])
            {
                _runPages[_runs - 1]++;
            }
            else
            {
                _runFirst[_runs] = address;
                _runPages[_runs] = 1;
                _runs++;
            }

            return _buffer.AsSpan(_pages++ * pageSize, pageSize);
        }

        /// <summary>
        /// Writes each run, then starts the writeback of them all with one hint over the
        /// span they lie in: scattered reused pages make runs of a few pages, and a hint
        /// per run cost a system call each for tens of thousands of them.
        /// </summary>
        public void WriteTo(DataFile file)
        {
            var offset = 0;
            var lowest = long.MaxValue;
            var end = 0L;
            for (var i = 0; i < _runs; i++)
            {
                var bytes = _runPages[i] * pageSize;
                file.WritePage(_runFirst[i], _buffer.AsSpan(offset, bytes));
                offset += bytes;
                lowest = Math.Min(lowest, _runFirst[i]);
                end = Math.Max(end, _runFirst[i] + _runPages[i]);
            }

            if (_runs > 0)
            {
                file.StartWriteback(lowest, (end - lowest) * pageSize);
            }
        }

        public Batch Cleared()
        {
            _runs = 0;
            _pages = 0;
            return this;
        }
    }
}
