namespace Quire.Storage.Tree;

/// <summary>
/// The writer of a copy-on-write B+tree over byte-string keys whose nodes are slotted
/// pages (<see cref="PageLayout"/>). Each key holds a version and a value or a
/// tombstone; deletes are tombstones, so nodes only split, never merge. Values too
/// large for a page become <see cref="Blob"/>s. Writes go to a working tree: a node
/// created in the current generation is changed in place, any other node is copied
/// once, on its first write in the generation, so a whole group of commits costs one
/// copy per touched node, not one per key. <see cref="Freeze"/> ends the generation
/// and returns its root; nothing reachable from a frozen root changes again, so
/// readers (<see cref="TreeReader"/>, <see cref="TreeCursor"/>) need no locks. One
/// thread at a time writes, except that a large sorted run may be applied in two halves
/// on two threads (<see cref="TryApplySortedInParallel"/>). Hot path: upserts work on spans and allocate only to copy
/// or split a node; a write whose key falls within the last write's leaf goes straight
/// there, so writes in key order (a replayed log tail, a sorted load) skip the descent.
/// </summary>
internal sealed partial class BTree
{
    private const int MaxDepth = 32;

    private readonly PagePool _pool;
    private readonly int _maxInlineCell;
    private readonly byte[] _scratch;
    private readonly INodeSource? _source;
    private readonly Node[] _path = new Node[MaxDepth];
    private readonly int[] _pathChild = new int[MaxDepth];
    private Node _root;

    // The leaf the last write went to (its path is in _path), for writes in key order.
    private Node? _finger;
    private int _fingerDepth;

    // Where the last new key went: a split past it is a run of ascending keys (see SplitLeaf).
    private Node? _lastInsertLeaf;
    private int _lastInsertSlot;

    // Nodes created in this generation are the writer's to change. Nodes read from disk
    // belong to generation -1, so they are always copied before a change.
    private long _generation;

    /// <summary>A tree that starts empty, or from <paramref name="start"/> (a root read from disk).</summary>
    public BTree(PagePool pool, INodeSource? source, TreeRoot? start = null)
    {
        _pool = pool;
        _source = source;
        var pageSize = pool.PageSize;

        // A cell never takes more than a quarter of a page, so a split always frees room.
        _maxInlineCell = (pageSize - pool.Tail - PageLayout.HeaderSize) / 4;
        _scratch = new byte[pageSize];
        _root = start?.Node ?? Node.Create(pool, PageLayout.LeafKind, _generation);
        _dirtyPages = start is null ? 1 : 0;
        Depth = start?.Depth ?? 1;
        Count = start?.Count ?? 0;
    }

    /// <summary>The largest key the tree accepts: a separator and an overflow cell must fit in a quarter page too.</summary>
    public int MaxKeyLength => _maxInlineCell - PageLayout.LeafCellOverhead - PageLayout.OverflowPayloadSize;

    /// <summary>Keys held, tombstones included.</summary>
    public long Count { get; private set; }

    /// <summary>Levels from the root to the leaves.</summary>
    public int Depth { get; private set; }

    /// <summary>The generation being written: what a freeze will end.</summary>
    public long Generation => _generation;

    /// <summary>Nodes of the working tree no checkpoint has written: what the next one will write.</summary>
    public long DirtyPages => Interlocked.Read(ref _dirtyPages);

    private long _dirtyPages;

    /// <summary>A checkpoint wrote <paramref name="node"/>: it is clean unless already replaced.</summary>
    public void Written(Node node)
    {
        if (node.TryChangeDirtiness(Node.Dirty, Node.Clean))
        {
            Interlocked.Decrement(ref _dirtyPages);
        }
    }

    /// <summary>A checkpoint that wrote <paramref name="node"/> failed: it is dirty again unless replaced meanwhile.</summary>
    public void Unwritten(Node node)
    {
        if (node.TryChangeDirtiness(Node.Clean, Node.Dirty))
        {
            Interlocked.Increment(ref _dirtyPages);
        }
    }

    /// <summary>Called with each node and blob the working tree stops pointing to (to free their pages later).</summary>
    public ITreeRetirement? Retirement { get; init; }

    /// <summary>Ends the current generation: returns the working tree's root as of <paramref name="seq"/>, never to change again.</summary>
    public TreeRoot Freeze(long seq)
    {
        var root = new TreeRoot(_root, seq, Depth, Count, _generation);
        _generation++;
        return root;
    }

    /// <summary>Sets <paramref name="key"/> to a value (or, with <paramref name="tombstone"/>, a tombstone) at <paramref name="version"/>.</summary>
    public void Upsert(ReadOnlySpan<byte> key, long version, ReadOnlySpan<byte> value, bool tombstone)
    {
        if (key.Length > MaxKeyLength)
        {
            throw new ArgumentException($"a key of {key.Length} bytes exceeds the tree's limit of {MaxKeyLength} bytes");
        }

        var inline = tombstone || PageLayout.LeafCellOverhead + key.Length + value.Length <= _maxInlineCell;
        var blob = inline ? null : new Blob(value.ToArray()) { Generation = _generation };
        var write = new CellWrite(version, (byte)((tombstone ? PageLayout.TombstoneFlag : 0) | (inline ? 0 : PageLayout.OverflowFlag)), tombstone ? 0 : value.Length, blob);
        var payload = tombstone ? default : value;
        var cellSize = PageLayout.LeafCellOverhead + key.Length + (tombstone ? 0 : inline ? value.Length : PageLayout.OverflowPayloadSize);

        // A split changes the shape above the leaf; start again from the root until the cell fits.
        while (!TryUpsert(key, write, payload, cellSize))
        {
        }
    }

    private bool TryUpsert(ReadOnlySpan<byte> key, CellWrite write, ReadOnlySpan<byte> payload, int cellSize)
    {
        var (node, depth) = LeafFor(key);
        var page = node.Page;
        var slot = PageLayout.Search(page, key);
        if (slot >= 0)
        {
            var old = PageLayout.ReadLeafCell(page, slot);
            if (_past is not null)
            {
                // Once only: a retry after a split finds the old cell already removed.
                Capture(node, old, key, write.Version);
            }

            var oldSize = PageLayout.CellSize(page, slot);
            var reuseBlobSlot = -1;
            if (old.IsOverflow)
            {
                reuseBlobSlot = ReleaseBlob(node, old);
            }

            var blobSlot = write.Blob is null ? -1 : reuseBlobSlot >= 0 ? reuseBlobSlot : FreeBlobSlot(node);
            if (oldSize == cellSize)
            {
                WriteCell(node, PageLayout.CellOffset(page, slot), key, write, payload, blobSlot);
                return true;
            }

            if (PageLayout.FreeSpace(page) >= cellSize)
            {
                var offset = PageLayout.ReplaceCell(page, slot, oldSize, cellSize);
                WriteCell(node, offset, key, write, payload, blobSlot);
                return true;
            }

            // Drop the old cell and insert the new one as if the key were new.
            RemoveSlot(page, slot, oldSize);
            Count--;
        }
        else
        {
            slot = ~slot;
        }

        var needed = cellSize + PageLayout.SlotSize;
        if (PageLayout.FreeSpace(page) < needed && PageLayout.FreeSpace(page) + PageLayout.Garbage(page) >= needed)
        {
            PageLayout.Compact(page, _scratch);
        }

        if (PageLayout.FreeSpace(page) >= needed)
        {
            var blobSlot = write.Blob is null ? -1 : FreeBlobSlot(node);
            var offset = PageLayout.InsertSlot(page, slot, cellSize, key);
            WriteCell(node, offset, key, write, payload, blobSlot);
            Count++;
            (_lastInsertLeaf, _lastInsertSlot) = (node, slot);
            return true;
        }

        _finger = null;
        SplitLeaf(node, depth, key, slot, inOrder: node == _lastInsertLeaf && _lastInsertSlot == slot - 1);
        return false;
    }

    /// <summary>The writable leaf for <paramref name="key"/> and its depth, with its path in <c>_path</c>.</summary>
    private (Node Leaf, int Depth) LeafFor(ReadOnlySpan<byte> key)
    {
        Node node;
        int depth;
        if (IsInFinger(key))
        {
            // The leaf of the last write holds keys on both sides of this one: it is this key's
            // leaf, and the path to it is still the one in _path (writes in key order skip the descent).
            (node, depth) = (_finger!, _fingerDepth);
        }
        else
        {
            depth = 0;
            node = Writable(_root, 0);
            while (!node.IsLeaf)
            {
                var child = TreeReader.ChildIndex(node.Page, key);
                _path[depth] = node;
                _pathChild[depth] = child;
                depth++;

                // A half of a parallel run goes through the root's separators it keeps aside.
                node = depth == 1 && _deferred is not null && DeferredRight(key, node.Page, child) is { } right
                    ? right
                    : WritableChild(node, child, depth);
            }

            (_finger, _fingerDepth) = (node, depth);
        }

        return (node, depth);
    }

    /// <summary>Whether <paramref name="key"/> lies between the first and last key of the last write's leaf, still writable in this generation.</summary>
    private bool IsInFinger(ReadOnlySpan<byte> key)
    {
        if (_finger is not { } leaf || leaf.Generation != _generation)
        {
            return false;
        }

        var page = leaf.Page;
        var count = PageLayout.Count(page);
        return count > 1 && key.SequenceCompareTo(PageLayout.KeyAt(page, 0)) >= 0 && key.SequenceCompareTo(PageLayout.KeyAt(page, count - 1)) <= 0;
    }

    /// <summary>
    /// The node at <paramref name="depth"/> of the current path, made writable: itself
    /// if this generation created it, else a copy put in its place in the (already
    /// writable) parent.
    /// </summary>
    private Node Writable(Node node, int depth)
    {
        if (node.Generation == _generation)
        {
            return node;
        }

        // Replaced before copied: readers stop installing loaded children into the node
        // and the evictor stops dropping them (both look at the mark), so the copy holds
        // what the node holds.
        MarkReplaced(node);
        var copy = node.CopyFor(_generation, _pool);
        Interlocked.Increment(ref _dirtyPages);

        if (depth == 0)
        {
            _root = copy;
        }
        else
        {
            _path[depth - 1].Children![_pathChild[depth - 1]] = copy;
        }

        Retirement?.Retired(node);
        return copy;
    }

    /// <summary>
    /// Marks a node replaced (no longer part of the tree being written), taking it out of
    /// the dirty count if it was dirty. A checkpoint may flip the node between dirty and
    /// clean meanwhile: try until one change takes.
    /// </summary>
    private void MarkReplaced(Node node)
    {
        while (!node.IsReplaced)
        {
            if (node.TryChangeDirtiness(Node.Dirty, Node.Replaced))
            {
                Interlocked.Decrement(ref _dirtyPages);
            }
            else
            {
                node.TryChangeDirtiness(Node.Clean, Node.Replaced);
            }
        }
    }

    /// <summary>
    /// Child <paramref name="index"/> of a writable parent, made writable. A stored child
    /// is read straight into the working tree: only this parent can reach the page just
    /// read, so it is taken over in place rather than copied, and its disk page retired.
    /// </summary>
    private Node WritableChild(Node parent, int index, int depth)
    {
        if (Volatile.Read(ref parent.Children![index]) is { } child)
        {
            TreeReader.MarkTouched(child);
            return Writable(child, depth);
        }

        var loaded = (_source ?? throw new InvalidOperationException("a stored child without a page file")).LoadNode(PageLayout.ChildAddress(parent.Page, index));
        var adopted = new Node(loaded.Page, _generation);
        Interlocked.Increment(ref _dirtyPages);
        Retirement?.RetiredPage(loaded.Address);
        parent.Children[index] = adopted;
        return adopted;
    }

    private static void WriteCell(Node leaf, int offset, ReadOnlySpan<byte> key, CellWrite write, ReadOnlySpan<byte> payload, int blobSlot)
    {
        if (write.Blob is not null)
        {
            PageLayout.WriteLeafCell(leaf.Page, offset, key, write.Version, write.Flags, write.ValueLength, default);
            PageLayout.WriteOverflowPayload(leaf.Page.AsSpan(offset + PageLayout.LeafCellOverhead + key.Length), 0, blobSlot);
            var blobs = leaf.Blobs ??= new Blob?[Math.Max(4, blobSlot + 1)];
            if (blobSlot >= blobs.Length)
            {
                Array.Resize(ref blobs, Math.Max(blobSlot + 1, blobs.Length * 2));
                leaf.Blobs = blobs;
            }

            blobs[blobSlot] = write.Blob;
            return;
        }

        PageLayout.WriteLeafCell(leaf.Page, offset, key, write.Version, write.Flags, write.ValueLength, payload);
    }

    /// <summary>Lets go of the blob an overflow cell of a writable leaf points to; returns its slot for reuse.</summary>
    private int ReleaseBlob(Node leaf, LeafCell cell)
    {
        var slot = PageLayout.BlobSlot(leaf.Page, cell.ValueOffset);
        var blob = leaf.Blobs is { } blobs && slot < blobs.Length ? blobs[slot] : null;
        if (blob is not null)
        {
            leaf.Blobs![slot] = null;
            Retirement?.Retired(blob, cell.ValueLength);
        }
        else
        {
            // Only on disk: its address in the page is final.
            Retirement?.Retired(PageLayout.BlobAddress(leaf.Page, cell.ValueOffset), cell.ValueLength);
        }

        return slot;
    }

    /// <summary>The lowest blob slot of a leaf that no cell uses.</summary>
    private static int FreeBlobSlot(Node leaf)
    {
        var page = leaf.Page;
        var count = PageLayout.Count(page);
        Span<bool> used = stackalloc bool[count + 1];
        for (var i = 0; i < count; i++)
        {
            var cell = PageLayout.ReadLeafCell(page, i);
            if (cell.IsOverflow)
            {
                var slot = PageLayout.BlobSlot(page, cell.ValueOffset);
                if (slot <= count)
                {
                    used[slot] = true;
                }
            }
        }

        return used.IndexOf(false);
    }

    private static void RemoveSlot(Span<byte> page, int slot, int cellSize)
    {
        var count = PageLayout.Count(page);
        var slots = page[PageLayout.HeaderSize..];
        slots[((slot + 1) * PageLayout.SlotSize)..(count * PageLayout.SlotSize)].CopyTo(slots[(slot * PageLayout.SlotSize)..]);
        PageLayout.SetCount(page, count - 1);
        PageLayout.SetGarbage(page, PageLayout.Garbage(page) + cellSize);
    }

    /// <summary>What an upsert writes into its leaf cell besides the key.</summary>
    private readonly record struct CellWrite(long Version, byte Flags, int ValueLength, Blob? Blob);
}
