using System.Runtime.ExceptionServices;

namespace Quire.Storage.Engine;

/// <summary>
/// Gathers pages a checkpoint writes at consecutive addresses into one write of up to
/// a megabyte: a checkpoint mostly takes pages in order, and tens of thousands of
/// page-sized writes would cost more in system calls than in copying. Full runs are
/// written, and their writeback started, by a thread of their own while the
/// checkpoint builds the next run in another buffer: the kernel's half of the work
/// (copying into the page cache, submitting the writeback) then overlaps the
/// checkpoint's half (copying and checksumming pages), on a second core when one is
/// free, and the fdatasync at the end has less left to wait for. A failed write is
/// thrown to the checkpoint by the next call, and nothing after it is written.
/// </summary>
internal sealed class PageRunWriter : IDisposable
{
    private const int RunBytes = 1024 * 1024;
    private const int BufferCount = 3; // one being built, one being written, one spare

    private readonly object _gate = new();
    private readonly DataFile _file;
    private readonly int _pageSize;
    private readonly Stack<byte[]> _free = new();
    private readonly Queue<Run> _queued = new();
    private readonly Thread _thread;
    private byte[]? _current;
    private long _first;
    private int _pages;
    private bool _writing;
    private bool _stopping;
    private ExceptionDispatchInfo? _failure;

    public PageRunWriter(DataFile file, int pageSize)
    {
        _file = file;
        _pageSize = pageSize;
        for (var i = 0; i < BufferCount; i++)
        {
            _free.Push(GC.AllocateUninitializedArray<byte>(RunBytes, pinned: true));
        }

        _thread = new Thread(WriteRuns) { IsBackground = true, Name = "quire-page-writer" };
        _thread.Start();
    }

    /// <summary>
    /// The buffer of the page for <paramref name="address"/>, in the run (the run so far is
    /// handed to the writing thread first if this page does not continue it): the caller
    /// builds the page image in place, before the next call, so each page is copied once
    /// on its way out. Throws what failed an earlier run's write.
    /// </summary>
    public Span<byte> Next(long address)
    {
        if (_pages > 0 && (address != _first + _pages || (_pages + 1) * _pageSize > RunBytes))
        {
            Submit();
        }

        if (_pages == 0)
        {
            _current = TakeBuffer();
            _first = address;
        }

        return _current.AsSpan(_pages++ * _pageSize, _pageSize);
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
                _free.Push(_current);
                _current = null;
            }

            _pages = 0;
            while (_queued.TryDequeue(out var run))
            {
                _free.Push(run.Buffer);
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
        if (_pages == 0)
        {
            return;
        }

        lock (_gate)
        {
            _queued.Enqueue(new Run(_current!, _first, _pages * _pageSize));
            Monitor.PulseAll(_gate);
        }

        _current = null;
        _pages = 0;
    }

    private byte[] TakeBuffer()
    {
        lock (_gate)
        {
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

    private void WriteRuns()
    {
        while (true)
        {
            Run run;
            lock (_gate)
            {
                while (_queued.Count == 0 && !_stopping)
                {
                    Monitor.Wait(_gate);
                }

                if (!_queued.TryDequeue(out run))
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
                    _file.WritePage(run.First, run.Buffer.AsSpan(0, run.Bytes));
                    _file.StartWriteback(run.First, run.Bytes);
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
                    _free.Push(run.Buffer);
                    _writing = false;
                    Monitor.PulseAll(_gate);
                }
            }
        }
    }

    private readonly record struct Run(byte[] Buffer, long First, int Bytes);
}
