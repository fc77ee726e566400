namespace Quire.Storage.Tree;

/// <summary>Splits: a full leaf or internal node gives its upper half to a new right sibling, whose separator goes into the parent (a new root when the root splits).</summary>
internal sealed partial class BTree
{
    /// <summary>
    /// Moves the upper half (by bytes) of a full node's cells into a new right sibling,
    /// keeping at least <paramref name="keepAtLeast"/> (<paramref name="exactly"/>: that many).
    /// </summary>
    private (Node Right, int Moved) MoveUpperHalf(Node node, int keepAtLeast, bool exactly = false)
    {
        var page = node.Page;
        var count = PageLayout.Count(page);
        var total = 0;
        for (var i = 0; i < count; i++)
        {
            total += PageLayout.CellSize(page, i) + PageLayout.SlotSize;
        }

        var mid = 0;
        for (var used = 0; mid < count - 1 && (mid < keepAtLeast || (!exactly && used < total / 2)); mid++)
        {
            used += PageLayout.CellSize(page, mid) + PageLayout.SlotSize;
        }

        var right = Node.Create(_pool, PageLayout.Kind(page), _generation);
        Interlocked.Increment(ref _dirtyPages);
        var moved = 0;
        for (var i = mid; i < count; i++)
        {
            var size = PageLayout.CellSize(page, i);
            var offset = PageLayout.InsertSlot(right.Page, i - mid, size, PageLayout.KeyAt(page, i));
            page.AsSpan(PageLayout.CellOffset(page, i), size).CopyTo(right.Page.AsSpan(offset));
            moved += size;
        }

        if (node.Blobs is { } blobs)
        {
            // Blobs move with their cells, keeping their slots.
            right.Blobs = blobs;
            node.Blobs = new Blob?[blobs.Length];
            for (var i = 0; i < mid; i++)
            {
                var cell = PageLayout.ReadLeafCell(page, i);
                if (cell.IsOverflow && PageLayout.BlobSlot(page, cell.ValueOffset) is var slot && slot < blobs.Length)
                {
                    (node.Blobs[slot], blobs[slot]) = (blobs[slot], null);
                }
            }
        }

        PageLayout.SetCount(page, mid);
        PageLayout.SetGarbage(page, PageLayout.Garbage(page) + moved);
        PageLayout.Compact(page, _scratch);
        return (right, count - mid);
    }

    /// <summary>
    /// Splits a full leaf: into halves, unless keys arrive in order, which leave full pages
    /// behind instead of half-empty ones. An insert past the last key of the rightmost leaf
    /// starts a new empty leaf; so does one past the last key of any leaf when the insert
    /// before it went just before it (<paramref name="inOrder"/>: a run of ascending keys, such
    /// as one collection's new ids); and such a run going in before a leaf's last keys (say,
    /// keys loaded in order before the engine's settings at the far right) splits where it
    /// goes in, so the run so far stays behind, full.
    /// </summary>
    private void SplitLeaf(Node leaf, int depth, ReadOnlySpan<byte> key, int slot, bool inOrder)
    {
        var (low, high) = Fences(depth);
        var appending = slot == PageLayout.Count(leaf.Page);
        Node right;
        byte[] separator;
        if (appending && (high is null || inOrder))
        {
            right = Node.Create(_pool, PageLayout.LeafKind, _generation);
            Interlocked.Increment(ref _dirtyPages);
            separator = key.ToArray();
        }
        else if (inOrder)
        {
            // Ascending keys going in before the leaf's last ones: the run so far stays behind,
            // full, and the key starts the right sibling with the keys after it.
            (right, _) = MoveUpperHalf(leaf, keepAtLeast: slot, exactly: true);
            separator = key.ToArray();
        }
        else
        {
            (right, _) = MoveUpperHalf(leaf, keepAtLeast: 1);
            separator = PageLayout.KeyAt(right.Page, 0).ToArray();
        }

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
        if (level == 0 && _deferred is not null)
        {
            // The root is shared with the other half: its separators wait for the merge.
            _deferred.Add(key, right);
            return;
        }

        var size = PageLayout.InternalCellOverhead + key.Length;
        if (level < 0)
        {
            var root = Node.Create(_pool, PageLayout.InternalKind, _generation);
            Interlocked.Increment(ref _dirtyPages);
            var offset = PageLayout.InsertSlot(root.Page, 0, size, key);
            PageLayout.WriteInternalCell(root.Page, offset, key);
            root.SetChild(0, _root, _pool);
            root.SetChild(1, right, _pool);
            _root = root;
            Depth++;
            return;
        }

        var node = _path[level];
        if (PageLayout.FreeSpace(node.Page) < size + PageLayout.SlotSize)
        {
            // Split this internal node: its middle separator moves up, and the pending one goes to whichever half it belongs in.
            // Separators arriving in order keep the rightmost node full too.
            var (low, high) = Fences(level);
            var appending = high is null && ~PageLayout.Search(node.Page, key) == node.Count;
            var (sibling, moved) = MoveUpperHalf(node, keepAtLeast: appending ? node.Count - 1 : 1);
            var up = PageLayout.KeyAt(sibling.Page, 0).ToArray();
            var childCount = node.Count + 1 + moved;
            for (var i = 0; i < moved; i++)
            {
                sibling.SetChild(i, node.Children![node.Count + 1 + i], _pool);
            }

            // The separator that moves up leaves its right child as the sibling's leftmost.
            PageLayout.SetChildAddress(sibling.Page, 0, PageLayout.ChildAddress(sibling.Page, 1));
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
        node.InsertChild(slot + 1, right, node.Count, _pool);
    }
}
