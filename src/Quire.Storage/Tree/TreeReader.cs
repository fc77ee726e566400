namespace Quire.Storage.Tree;

/// <summary>
/// Reads over frozen nodes, safe from any thread without locks: descending to a child
/// (loading a stored one from the <see cref="INodeSource"/>), point lookups and values.
/// </summary>
internal static class TreeReader
{
    /// <summary>The index of the child of an internal page that holds <paramref name="key"/>.</summary>
    public static int ChildIndex(ReadOnlySpan<byte> page, ReadOnlySpan<byte> key)
    {
        // A separator is the first key of the child to its right.
        var slot = PageLayout.Search(page, key);
        return slot >= 0 ? slot + 1 : ~slot;
    }

    /// <summary>Child <paramref name="index"/> of <paramref name="parent"/>, loaded and kept in the parent if it was stored.</summary>
    public static Node Child(Node parent, int index, INodeSource? source)
    {
        var children = parent.Children!;
        var child = Volatile.Read(ref children[index]);
        if (child is not null)
        {
            MarkTouched(child);
            return child;
        }

        if (source is null)
        {
            throw new InvalidOperationException("a stored child without a page file");
        }

        var loaded = source.LoadNode(PageLayout.ChildAddress(parent.Page, index));
        if (parent.IsReplaced || parent.IsEvicted)
        {
            // No tree holds this parent any more, or the writer's copy of it does not hold
            // what it had not loaded: keeping the page here would count it as resident for
            // as long as the parent lives (freeing a node does not visit its children). It
            // stays this reader's own, uncounted, and the GC takes it when the reader is done.
            source.Forget(loaded);
            return loaded;
        }

        // Two readers may load the same child; the first to install it wins.
        var installed = Interlocked.CompareExchange(ref children[index], loaded, null);
        if (installed is null)
        {
            // Evicted since the check: the evictor marks a node before it looks at the
            // children, and the install is a full fence, so one side or the other stops
            // counting this one. (Replaced since the check: the writer's copy may have taken
            // it, so it stays counted; at worst, one page counted after it is gone.)
            if (parent.IsEvicted)
            {
                source.Forget(loaded);
            }

            return loaded;
        }

        source.Discard(loaded);
        return installed;
    }

    /// <summary>
    /// Marks a node no tree keeps any more as evicted and stops counting its buffer as
    /// resident (readers still using it keep it alive; the GC takes it after them), and
    /// does the same down what readers installed under it, which only it holds. False,
    /// doing nothing, when the node already stopped counting.
    /// </summary>
    public static bool Forget(Node node, PagePool pool)
    {
        if (!node.TryMarkEvicted())
        {
            return false;
        }

        pool.Forget();
        if (node.Children is { } children)
        {
            for (var i = 0; i < children.Length; i++)
            {
                if (Volatile.Read(ref children[i]) is { } child)
                {
                    Forget(child, pool);
                }
            }
        }

        return true;
    }

    /// <summary>
    /// Marks a node used for the evictor's clock. Written only when not yet set: the
    /// nodes near the root are read by every thread, and a store on each read would
    /// bounce their cache line between cores.
    /// </summary>
    public static void MarkTouched(Node node)
    {
        if (!node.Touched)
        {
            node.Touched = true;
        }
    }

    /// <summary>The leaf that holds (or would hold) <paramref name="key"/>.</summary>
    public static Node FindLeaf(Node root, ReadOnlySpan<byte> key, INodeSource? source)
    {
        var node = root;
        while (!node.IsLeaf)
        {
            node = Child(node, ChildIndex(node.Page, key), source);
        }

        return node;
    }

    public static bool TryGet(Node root, ReadOnlySpan<byte> key, INodeSource? source, out long version, out byte[]? value)
    {
        var leaf = FindLeaf(root, key, source);
        var slot = PageLayout.Search(leaf.Page, key);
        if (slot < 0)
        {
            version = 0;
            value = null;
            return false;
        }

        var cell = PageLayout.ReadLeafCell(leaf.Page, slot);
        version = cell.Version;
        value = ValueOf(leaf, cell, source);
        return true;
    }

    /// <summary>The value of a leaf cell as a new array (null for a tombstone).</summary>
    public static byte[]? ValueOf(Node leaf, LeafCell cell, INodeSource? source)
    {
        if (cell.IsTombstone)
        {
            return null;
        }

        if (!cell.IsOverflow)
        {
            return leaf.Page.AsSpan(cell.ValueOffset, cell.ValueLength).ToArray();
        }

        var slot = PageLayout.BlobSlot(leaf.Page, cell.ValueOffset);
        var blobs = leaf.Blobs;
        if (blobs is not null && slot < blobs.Length && blobs[slot] is { } blob)
        {
            return (byte[])blob.Bytes.Clone();
        }

        if (source is null)
        {
            throw new InvalidOperationException("a stored blob without a page file");
        }

        return source.LoadBlob(PageLayout.BlobAddress(leaf.Page, cell.ValueOffset), cell.ValueLength);
    }
}
