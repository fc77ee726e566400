namespace Quire.Storage.Tree;

/// <summary>
/// An in-memory B+tree over byte-string keys whose nodes are slotted pages
/// (<see cref="PageLayout"/>). Each key holds a version and a value or a tombstone.
/// Deletes are tombstones, so nodes only split, never merge. Values too large for a
/// page go to <see cref="OverflowValues"/>. Not thread-safe: the engine serialises
/// writers and guards readers. (Persistence and copy-on-write come with checkpoints.)
/// Hot path: lookups and upserts work on spans and allocate only when a node splits.
/// </summary>
internal sealed class BTree
{
    private const int MaxDepth = 32;

    private readonly int _pageSize;
    private readonly int _maxInlineCell;
    private readonly byte[] _scratch;
    private readonly OverflowValues _overflow = new();
    private readonly Node[] _path = new Node[MaxDepth];
    private readonly int[] _pathChild = new int[MaxDepth];
    private Node _root;

    public BTree(int pageSize)
    {
        _pageSize = pageSize;

        // A cell never takes more than a quarter of a page, so a split always frees room.
        _maxInlineCell = (pageSize - PageLayout.HeaderSize) / 4;
        _scratch = new byte[pageSize];
        _root = new Node(pageSize, PageLayout.LeafKind);
        Depth = 1;
    }

    /// <summary>The largest key the tree accepts: a separator must fit in a quarter page too.</summary>
    public int MaxKeyLength => _maxInlineCell - PageLayout.LeafCellOverhead - 4;

    /// <summary>Keys held, tombstones included.</summary>
    public long Count { get; private set; }

    /// <summary>Levels from the root to the leaves.</summary>
    public int Depth { get; private set; }

    public bool TryGet(ReadOnlySpan<byte> key, out long version, out byte[]? value)
    {
        var node = _root;
        while (!node.IsLeaf)
        {
            node = node.Children![ChildIndex(node.Page, key)];
        }

        var slot = PageLayout.Search(node.Page, key);
        if (slot < 0)
        {
            version = 0;
            value = null;
            return false;
        }

        var cell = PageLayout.ReadLeafCell(node.Page, slot);
        version = cell.Version;
        value = ValueOf(node.Page, cell);
        return true;
    }

    /// <summary>Sets <paramref name="key"/> to a value (or, with null, a tombstone) at <paramref name="version"/>.</summary>
    public void Upsert(ReadOnlySpan<byte> key, long version, ReadOnlySpan<byte> value, bool tombstone) =>
        Upsert(key, version, value, tombstone, null, out _);

    /// <summary>
    /// Sets a key as <see cref="Upsert(ReadOnlySpan{byte}, long, ReadOnlySpan{byte}, bool)"/> does and, given
    /// <paramref name="priorValues"/>, returns what it replaced (found on the same descent), its value copied there.
    /// </summary>
    public void Upsert(ReadOnlySpan<byte> key, long version, ReadOnlySpan<byte> value, bool tombstone, ByteArena? priorValues, out PriorEntry prior)
    {
        if (key.Length > MaxKeyLength)
        {
            throw new ArgumentException($"a key of {key.Length} bytes exceeds the tree's limit of {MaxKeyLength} bytes");
        }

        var inline = tombstone || PageLayout.LeafCellOverhead + key.Length + value.Length <= _maxInlineCell;
        var handle = inline ? -1 : _overflow.Add(value);
        Span<byte> handleBytes = stackalloc byte[4];
        BitConverter.TryWriteBytes(handleBytes, handle);
        var flags = (byte)((tombstone ? PageLayout.TombstoneFlag : 0) | (inline ? 0 : PageLayout.OverflowFlag));
        var payload = tombstone ? default : inline ? value : handleBytes;
        var valueLength = tombstone ? 0 : value.Length;
        var cellSize = PageLayout.LeafCellOverhead + key.Length + payload.Length;

        // A split changes the shape above the leaf; start again from the root until the cell fits.
        prior = default;
        var captured = priorValues is null;
        while (!TryUpsert(key, version, flags, valueLength, payload, cellSize, priorValues, ref captured, ref prior))
        {
        }
    }

    /// <summary>Entries with <paramref name="from"/> &lt;= key &lt; <paramref name="to"/> (null bounds are open), tombstones included, in key order.</summary>
    public IEnumerable<(byte[] Key, long Version, byte[]? Value)> Scan(byte[]? from, byte[]? to)
    {
        var stack = new Stack<(Node Node, int Next)>();
        var node = _root;
        while (!node.IsLeaf)
        {
            var child = from is null ? 0 : ChildIndex(node.Page, from);
            stack.Push((node, child + 1));
            node = node.Children![child];
        }

        var slot = from is null ? 0 : PageLayout.Search(node.Page, from);
        if (slot < 0)
        {
            slot = ~slot;
        }

        while (true)
        {
            var page = node.Page;
            for (; slot < PageLayout.Count(page); slot++)
            {
                var key = PageLayout.KeyAt(page, slot);
                if (to is not null && key.SequenceCompareTo(to) >= 0)
                {
                    yield break;
                }

                var cell = PageLayout.ReadLeafCell(page, slot);
                yield return (key.ToArray(), cell.Version, ValueOf(page, cell));
            }

            // Next leaf: climb to the first ancestor with a child left, then down its leftmost path.
            while (stack.Count > 0 && stack.Peek().Next > stack.Peek().Node.Count)
            {
                stack.Pop();
            }

            if (stack.Count == 0)
            {
                yield break;
            }

            var (parent, next) = stack.Pop();
            stack.Push((parent, next + 1));
            node = parent.Children![next];
            while (!node.IsLeaf)
            {
                stack.Push((node, 1));
                node = node.Children![0];
            }

            slot = 0;
        }
    }

    private bool TryUpsert(
        ReadOnlySpan<byte> key, long version, byte flags, int valueLength, ReadOnlySpan<byte> payload, int cellSize,
        ByteArena? priorValues, ref bool captured, ref PriorEntry prior)
    {
        var depth = 0;
        var node = _root;
        while (!node.IsLeaf)
        {
            var child = ChildIndex(node.Page, key);
            _path[depth] = node;
            _pathChild[depth] = child;
            depth++;
            node = node.Children![child];
        }

        var page = node.Page;
        var slot = PageLayout.Search(page, key);
        if (slot >= 0)
        {
            var old = PageLayout.ReadLeafCell(page, slot);
            var oldSize = PageLayout.CellSize(page, slot);
            if (!captured)
            {
                // Before anything frees or overwrites it.
                var bytes = old.IsTombstone ? default
                    : old.OverflowHandle >= 0 ? _overflow.Get(old.OverflowHandle)
                    : page.AsSpan(old.ValueOffset, old.ValueLength);
                prior = new PriorEntry(true, old.Version, old.IsTombstone, priorValues!.Append(bytes), bytes.Length);
                captured = true;
            }

            if (oldSize == cellSize)
            {
                FreeOverflow(old);
                PageLayout.WriteLeafCell(page, PageLayout.CellOffset(page, slot), key, version, flags, valueLength, payload);
                return true;
            }

            if (PageLayout.FreeSpace(page) >= cellSize)
            {
                FreeOverflow(old);
                var offset = PageLayout.ReplaceCell(page, slot, oldSize, cellSize);
                PageLayout.WriteLeafCell(page, offset, key, version, flags, valueLength, payload);
                return true;
            }

            // Drop the old cell and insert the new one as if the key were new.
            FreeOverflow(old);
            RemoveSlot(page, slot, oldSize);
            Count--;
        }
        else
        {
            slot = ~slot;
            captured = true; // absent: prior stays default (did not exist)
        }

        var needed = cellSize + PageLayout.SlotSize;
        if (PageLayout.FreeSpace(page) < needed && PageLayout.FreeSpace(page) + PageLayout.Garbage(page) >= needed)
        {
            PageLayout.Compact(page, _scratch);
        }

        if (PageLayout.FreeSpace(page) >= needed)
        {
            var offset = PageLayout.InsertSlot(page, slot, cellSize, key);
            PageLayout.WriteLeafCell(page, offset, key, version, flags, valueLength, payload);
            Count++;
            return true;
        }

        SplitLeaf(node, depth);
        return false;
    }

    private static int ChildIndex(ReadOnlySpan<byte> page, ReadOnlySpan<byte> key)
    {
        // A separator is the first key of the child to its right.
        var slot = PageLayout.Search(page, key);
        return slot >= 0 ? slot + 1 : ~slot;
    }

    private byte[]? ValueOf(ReadOnlySpan<byte> page, LeafCell cell) =>
        cell.IsTombstone ? null
        : cell.OverflowHandle >= 0 ? (byte[])_overflow.Get(cell.OverflowHandle).Clone()
        : page.Slice(cell.ValueOffset, cell.ValueLength).ToArray();

    private void FreeOverflow(LeafCell cell)
    {
        if (cell.OverflowHandle >= 0)
        {
            _overflow.Free(cell.OverflowHandle);
        }
    }

    private static void RemoveSlot(Span<byte> page, int slot, int cellSize)
    {
        var count = PageLayout.Count(page);
        var slots = page[PageLayout.HeaderSize..];
        slots[((slot + 1) * PageLayout.SlotSize)..(count * PageLayout.SlotSize)].CopyTo(slots[(slot * PageLayout.SlotSize)..]);
        PageLayout.SetCount(page, count - 1);
        PageLayout.SetGarbage(page, PageLayout.Garbage(page) + cellSize);
    }

    /// <summary>Moves the upper half (by bytes) of a full node's cells into a new right sibling.</summary>
    private (Node Right, int Moved) MoveUpperHalf(Node node, int keepAtLeast)
    {
        var page = node.Page;
        var count = PageLayout.Count(page);
        var total = 0;
        for (var i = 0; i < count; i++)
        {
            total += PageLayout.CellSize(page, i) + PageLayout.SlotSize;
        }

        var mid = 0;
        for (var used = 0; mid < count - 1 && (mid < keepAtLeast || used < total / 2); mid++)
        {
            used += PageLayout.CellSize(page, mid) + PageLayout.SlotSize;
        }

        var right = new Node(_pageSize, PageLayout.Kind(page));
        var moved = 0;
        for (var i = mid; i < count; i++)
        {
            var size = PageLayout.CellSize(page, i);
            var offset = PageLayout.InsertSlot(right.Page, i - mid, size, PageLayout.KeyAt(page, i));
            page.AsSpan(PageLayout.CellOffset(page, i), size).CopyTo(right.Page.AsSpan(offset));
            moved += size;
        }

        PageLayout.SetCount(page, mid);
        PageLayout.SetGarbage(page, PageLayout.Garbage(page) + moved);
        PageLayout.Compact(page, _scratch);
        return (right, count - mid);
    }

    private void SplitLeaf(Node leaf, int depth)
    {
        var (low, high) = Fences(depth);
        var (right, _) = MoveUpperHalf(leaf, keepAtLeast: 1);
        var separator = PageLayout.KeyAt(right.Page, 0).ToArray();
        SetFences(leaf, low, separator);
        SetFences(right, separator, high);
        InsertSeparator(depth - 1, separator, right);
    }

    /// <summary>
    /// The fences of the node at <paramref name="depth"/> of the current path: the
    /// separators around it in its ancestors (null where it is the leftmost or rightmost).
    /// Read before any ancestor changes; only splits need them.
    /// </summary>
    private (byte[]? Low, byte[]? High) Fences(int depth)
    {
        byte[]? low = null;
        byte[]? high = null;
        for (var level = 0; level < depth; level++)
        {
            var parent = _path[level].Page;
            var child = _pathChild[level];
            if (child > 0)
            {
                low = PageLayout.KeyAt(parent, child - 1).ToArray();
            }

            if (child < PageLayout.Count(parent))
            {
                high = PageLayout.KeyAt(parent, child).ToArray();
            }
        }

        return (low, high);
    }

    /// <summary>Gives a node the prefix its fences share (none for an open side).</summary>
    private static void SetFences(Node node, byte[]? low, byte[]? high) =>
        PageLayout.SetPrefixLength(node.Page, low is null || high is null ? 0 : PageLayout.CommonPrefix(low, high));

    /// <summary>Inserts separator <paramref name="key"/> with its right child into the node at <paramref name="level"/> of the path (a new root above level 0).</summary>
    private void InsertSeparator(int level, byte[] key, Node right)
    {
        if (level < 0)
        {
            var root = new Node(_pageSize, PageLayout.InternalKind);
            var offset = PageLayout.InsertSlot(root.Page, 0, 2 + key.Length, key);
            PageLayout.WriteInternalCell(root.Page, offset, key);
            root.SetChild(0, _root);
            root.SetChild(1, right);
            _root = root;
            Depth++;
            return;
        }

        var node = _path[level];
        var size = 2 + key.Length;
        if (PageLayout.FreeSpace(node.Page) < size + PageLayout.SlotSize)
        {
            // Split this internal node: its middle separator moves up, and the pending one goes to whichever half it belongs in.
            var (low, high) = Fences(level);
            var (sibling, moved) = MoveUpperHalf(node, keepAtLeast: 1);
            var up = PageLayout.KeyAt(sibling.Page, 0).ToArray();
            var childCount = node.Count + 1 + moved;
            for (var i = 0; i < moved; i++)
            {
                sibling.SetChild(i, node.Children![node.Count + 1 + i]);
            }

            // The sibling's first separator moves up; its left child stays the last child of node.
            RemoveSlot(sibling.Page, 0, PageLayout.CellSize(sibling.Page, 0));
            Array.Clear(node.Children!, node.Count + 1, childCount - node.Count - 1);
            SetFences(node, low, up);
            SetFences(sibling, up, high);
            InsertSeparator(level - 1, up, sibling);
            node = key.AsSpan().SequenceCompareTo(up) < 0 ? node : sibling;
        }

        var slot = ~PageLayout.Search(node.Page, key);
        var cellOffset = PageLayout.InsertSlot(node.Page, slot, size, key);
        PageLayout.WriteInternalCell(node.Page, cellOffset, key);
        node.InsertChild(slot + 1, right, node.Count);
    }
}

/// <summary>What an upsert replaced: whether the key existed, its version, whether it was a tombstone, and where its value was copied.</summary>
internal readonly record struct PriorEntry(bool Existed, long Version, bool Tombstone, int ValueOffset, int ValueLength);
