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

    /// <summary>
    /// The buffer of the page for <paramref name="address"/>, in the run (the run so far is
    /// written first if this page does not continue it): the caller builds the page image
    /// in place, before the next call, so each page is copied once on its way out.
    /// </summary>
    public Span<byte> Next(long address)
    {
        if (_pages > 0 && (address != _first + _pages || (_pages + 1) * pageSize > RunBytes))
        {
            Flush();
        }

        if (_pages == 0)
        {
            _first = address;
        }

        return _run.AsSpan(_pages++ * pageSize, pageSize);
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
