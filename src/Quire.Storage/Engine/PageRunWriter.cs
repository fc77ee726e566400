namespace Quire.Storage.Engine;

/// <summary>
/// Gathers pages a checkpoint writes at consecutive addresses into one write of up to
/// a megabyte: a checkpoint mostly takes pages in order, and tens of thousands of
/// page-sized writes would cost more in system calls than in copying. Each run's
/// writeback starts as soon as it is written, so the device works while the checkpoint
/// goes on building pages, and the fdatasync at its end has less left to wait for.
/// </summary>
internal sealed class PageRunWriter(DataFile file, int pageSize)
{
    private const int RunBytes = 1024 * 1024;

    private readonly byte[] _run = GC.AllocateUninitializedArray<byte>(RunBytes, pinned: true);
    private long _first;
    private int _pages;

    /// <summary>Queues <paramref name="page"/> for <paramref name="address"/>, writing the run so far first if it does not continue it.</summary>
    public void Write(long address, ReadOnlySpan<byte> page)
    {
        if (_pages > 0 && (address != _first + _pages || (_pages + 1) * pageSize > RunBytes))
        {
            Flush();
        }

        if (_pages == 0)
        {
            _first = address;
        }

        page.CopyTo(_run.AsSpan(_pages * pageSize));
        _pages++;
    }

    /// <summary>Writes what is queued.</summary>
    public void Flush()
    {
        if (_pages > 0)
        {
            file.WritePage(_first, _run.AsSpan(0, _pages * pageSize));
            file.StartWriteback(_first, _pages * pageSize);
            _pages = 0;
        }
    }

    /// <summary>Drops what is queued (the attempt failed).</summary>
    public void Discard() => _pages = 0;
}
