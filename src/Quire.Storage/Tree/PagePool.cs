using System.Numerics;

namespace Quire.Storage.Tree;

/// <summary>
/// Page buffers for nodes, reused once a node can no longer be reached (see
/// <see cref="TreeRoot"/>): copy-on-write replaces nodes at hundreds of thousands of
/// keys per second, and fresh arrays for each would keep the GC busy promoting pages
/// that die soon after. Buffers live on the pinned object heap: never moved, and ready
/// for native I/O. The child-reference arrays of internal nodes are reused the same way:
/// each copy of an internal node needs one (about 2 KiB at 8 KiB pages), and fresh
/// ones, living a few generations each, were most of what the GC had to trace and
/// promote under many concurrent writers. Thread-safe.
/// </summary>
/// <param name="pageSize">The database's page size.</param>
/// <param name="tail">Bytes at the end of every new node's page kept free of cells (the seal of an encrypted database); 0 otherwise.</param>
internal sealed class PagePool(int pageSize, int tail = 0)
{
    private readonly Lock _lock = new();
    private readonly Stack<byte[]> _free = new();

    // Child arrays by length (powers of two from MinChildren), each stack bounded: beyond
    // that many waiting, an array is left to the GC.
    private const int MinChildren = 16;
    private const int MaxChildrenKept = 4096;
    private readonly Stack<Node?[]>[] _children = [.. Enumerable.Range(0, 12).Select(_ => new Stack<Node?[]>())];

    public int PageSize { get; } = pageSize;

    /// <summary>Bytes at the end of every new node's page kept free of cells.</summary>
    public int Tail { get; } = tail;

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

    /// <summary>An array for at least <paramref name="length"/> child references, all null (its length a power of two, at least 16).</summary>
    public Node?[] RentChildren(int length)
    {
        var size = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(MinChildren, length));
        var bucket = ChildBucket(size);
        if (bucket < _children.Length)
        {
            lock (_lock)
            {
                if (_children[bucket].TryPop(out var reused))
                {
                    return reused;
                }
            }
        }

        return new Node?[size];
    }

    /// <summary>Takes back the child array of a node nothing refers to any more (cleared here, so it keeps no node alive).</summary>
    public void ReturnChildren(Node?[] children)
    {
        var bucket = ChildBucket(children.Length);
        if (children.Length < MinChildren || !BitOperations.IsPow2(children.Length) || bucket >= _children.Length)
        {
            return;
        }

        Array.Clear(children);
        lock (_lock)
        {
            if (_children[bucket].Count < MaxChildrenKept)
            {
                _children[bucket].Push(children);
            }
        }
    }

    // The stack for arrays of this power-of-two length: 16 -> 0, 32 -> 1, ...
    private static int ChildBucket(int length) => BitOperations.Log2((uint)length) - BitOperations.Log2(MinChildren);
}
