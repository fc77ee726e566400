namespace Quire.Storage.Tree;

/// <summary>
/// Page buffers for nodes, reused once a node can no longer be reached (see
/// <see cref="TreeRoot"/>): copy-on-write replaces nodes at hundreds of thousands of
/// keys per second, and fresh arrays for each would keep the GC busy promoting pages
/// that die soon after. Buffers live on the pinned object heap: never moved, and ready
/// for native I/O. Thread-safe.
/// </summary>
internal sealed class PagePool(int pageSize)
{
    private readonly Lock _lock = new();
    private readonly Stack<byte[]> _free = new();

    public int PageSize { get; } = pageSize;

    /// <summary>Buffers handed out and not returned.</summary>
    public long InUse { get; private set; }

    /// <summary>A page buffer with undefined content.</summary>
    public byte[] Rent()
    {
        lock (_lock)
        {
            InUse++;
            if (_free.TryPop(out var page))
            {
                return page;
            }
        }

        return GC.AllocateUninitializedArray<byte>(PageSize, pinned: true);
    }

    /// <summary>Stops counting a buffer that an evicted node holds: readers may still use it, so the GC takes it when they are done.</summary>
    public void Forget()
    {
        lock (_lock)
        {
            InUse--;
        }
    }

    /// <summary>Takes back a buffer nothing refers to any more.</summary>
    public void Return(byte[] page)
    {
        lock (_lock)
        {
            InUse--;
            _free.Push(page);
        }
    }
}
