namespace Quire.Storage.Tree;

/// <summary>
/// A tree node: one page in page format (see <see cref="PageLayout"/>) plus, for an
/// internal node, references to the children held in memory, and, for a leaf, the
/// overflow values it holds in memory. The GC sees a few objects per node, never one
/// per key. A node is mutable only while its <see cref="Generation"/> is the tree
/// writer's current one; once a root above it is frozen it never changes again, except
/// that a child reference may be dropped (eviction) or filled in (a load), and a
/// checkpoint gives it an address.
/// </summary>
internal sealed class Node
{
    private long _address;
    private int _residency; // Resident, Evicted, or Returned to the pool
    private int _dirtiness = Dirty;

    /// <summary>Counted among the dirty pages: no checkpoint has written it, and the working tree still holds it.</summary>
    public const int Dirty = 1;

    /// <summary>A checkpoint wrote it (or it was read from disk).</summary>
    public const int Clean = 2;

    /// <summary>The working tree replaced it.</summary>
    public const int Replaced = 0;

    public Node(byte[] page, long generation, Node?[]? children = null)
    {
        Page = page;
        Generation = generation;
        if (PageLayout.Kind(page) == PageLayout.InternalKind)
        {
            Children = children ?? new Node?[Math.Max(16, PageLayout.Count(page) + 1)];
        }
    }

    public byte[] Page { get; }

    /// <summary>The tree writer's generation that created this node.</summary>
    public long Generation { get; }

    /// <summary>
    /// Children of an internal node held in memory: child i holds keys below separator
    /// i; the last holds the rest. A null child is stored: its address is in the page.
    /// </summary>
    public Node?[]? Children { get; private set; }

    /// <summary>Overflow values of a leaf held in memory, by blob slot; null where the blob is only on disk.</summary>
    public Blob?[]? Blobs { get; set; }

    /// <summary>The page number a checkpoint wrote this node to, or 0. Set once per checkpoint attempt (cleared again if it fails).</summary>
    public long Address
    {
        get => Volatile.Read(ref _address);
        set => Volatile.Write(ref _address, value);
    }

    /// <summary>Whether <see cref="Address"/> is covered by a durable superblock (only then may the node be evicted).</summary>
    public bool AddressIsFinal { get; set; }

    /// <summary>Set when a reader descends to this node; the evictor's clock clears it and spares the node once.</summary>
    public bool Touched { get; set; }

    public bool IsLeaf => Page[0] == PageLayout.LeafKind;

    public int Count => PageLayout.Count(Page);

    /// <summary>
    /// Moves the node's dirtiness from <paramref name="from"/> to <paramref name="to"/>;
    /// false if it was not <paramref name="from"/>. The writer (replacing) and a
    /// checkpoint (writing, or undoing a failed write) race here, and exactly one of
    /// them takes a dirty node off the count.
    /// </summary>
    public bool TryChangeDirtiness(int from, int to) => Interlocked.CompareExchange(ref _dirtiness, to, from) == from;

    /// <summary>Whether the working tree has replaced this node with a copy.</summary>
    public bool IsReplaced => Volatile.Read(ref _dirtiness) == Replaced;

    /// <summary>Whether the node's buffer no longer counts as resident: it was evicted, or dropped from a tree that no longer holds it.</summary>
    public bool IsEvicted => Volatile.Read(ref _residency) == 1;

    /// <summary>Marks the node evicted; false if it already was (or its buffer went back to the pool).</summary>
    public bool TryMarkEvicted() => Interlocked.CompareExchange(ref _residency, 1, 0) == 0;

    /// <summary>Marks the node's buffer returned to the pool; false if it was evicted (its buffer is the GC's now).</summary>
    public bool TryMarkReturned() => Interlocked.CompareExchange(ref _residency, 2, 0) == 0;

    public static Node Create(PagePool pool, byte kind, long generation)
    {
        var page = pool.Rent();
        PageLayout.Initialize(page, kind, pool.Tail);
        return new Node(page, generation, kind == PageLayout.InternalKind ? pool.RentChildren(0) : null);
    }

    /// <summary>A mutable copy for the writer's <paramref name="generation"/>: the page's used bytes, the child references and blobs.</summary>
    public Node CopyFor(long generation, PagePool pool)
    {
        var page = pool.Rent();
        var count = Count;
        Node?[]? children = null;
        if (Children is not null)
        {
            // References before bytes: the evictor writes a child's address into the page
            // before it drops the reference, so a dropped reference seen here comes with
            // its address in the bytes copied after the fence. Each reference is read whole
            // (aligned), and one bulk copy marks the GC's cards once, not once per child.
            children = pool.RentChildren(count + 1);
            Array.Copy(Children, children, count + 1);
            Interlocked.MemoryBarrier();
        }

        // Only the header, the slots and the cells: the free middle of the page is never read.
        var slotsEnd = PageLayout.HeaderSize + (count * PageLayout.SlotSize);
        var cellsStart = PageLayout.CellsStart(Page);
        Page.AsSpan(0, slotsEnd).CopyTo(page);
        Page.AsSpan(cellsStart).CopyTo(page.AsSpan(cellsStart));
        var copy = new Node(page, generation, children);
        copy.Blobs = (Blob?[]?)Blobs?.Clone();
        return copy;
    }

    /// <summary>Sets child <paramref name="index"/> of a node the writer may change, growing its array (the old one goes back to <paramref name="pool"/>: no reader sees a node before its generation ends).</summary>
    public void SetChild(int index, Node? child, PagePool pool)
    {
        if (index >= Children!.Length)
        {
            var bigger = pool.RentChildren(index + 1);
            Children.CopyTo(bigger, 0);
            pool.ReturnChildren(Children);
            Children = bigger;
        }

        Children[index] = child;
    }

    /// <summary>Inserts a child at <paramref name="index"/>, shifting later ones right (count is the child count before).</summary>
    public void InsertChild(int index, Node child, int childCount, PagePool pool)
    {
        SetChild(childCount, null, pool);
        Array.Copy(Children!, index, Children!, index + 1, childCount - index);
        Children![index] = child;
    }
}
