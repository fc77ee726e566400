namespace Quire.Storage.Tree;

/// <summary>
/// A position in a frozen tree that moves forward or backward over its entries
/// (tombstones included): the path from the root, one node and index per level.
/// </summary>
internal sealed class TreeCursor
{
    private readonly INodeSource? _source;
    private readonly Node[] _nodes;
    private readonly int[] _index; // child index at an internal level, slot at the leaf
    private readonly int _leaf;

    public TreeCursor(TreeRoot root, INodeSource? source)
    {
        _source = source;
        _nodes = new Node[root.Depth];
        _index = new int[root.Depth];
        _leaf = root.Depth - 1;
        _nodes[0] = root.Node;
    }

    /// <summary>Whether the cursor is on an entry.</summary>
    public bool IsValid { get; private set; }

    /// <summary>The leaf the cursor is on.</summary>
    public Node Leaf => _nodes[_leaf];

    /// <summary>The cursor's slot in <see cref="Leaf"/> (set it to move within the leaf).</summary>
    public int Slot
    {
        get => _index[_leaf];
        set => _index[_leaf] = value;
    }

    public ReadOnlySpan<byte> Key => PageLayout.KeyAt(_nodes[_leaf].Page, _index[_leaf]);

    public LeafCell Cell => PageLayout.ReadLeafCell(_nodes[_leaf].Page, _index[_leaf]);

    public byte[]? Value => TreeReader.ValueOf(_nodes[_leaf], Cell, _source);

    /// <summary>
    /// Walks the entries with <paramref name="from"/> &lt;= key &lt; <paramref name="to"/>
    /// (null bounds are open), tombstones included, in key order or, with
    /// <paramref name="reverse"/>, from the last: yields the cursor on each entry.
    /// </summary>
    public static IEnumerable<TreeCursor> Range(TreeRoot root, INodeSource? source, byte[]? from, byte[]? to, bool reverse)
    {
        var cursor = new TreeCursor(root, source);
        if (reverse)
        {
            cursor.SeekBackward(to, toEnd: to is null);
        }
        else
        {
            cursor.SeekForward(from, fromStart: from is null);
        }

        while (cursor.IsValid)
        {
            var key = cursor.Key;
            if (reverse ? from is not null && key.SequenceCompareTo(from) < 0 : to is not null && key.SequenceCompareTo(to) >= 0)
            {
                yield break;
            }

            yield return cursor;
            if (reverse)
            {
                cursor.MovePrevious();
            }
            else
            {
                cursor.MoveNext();
            }
        }
    }

    /// <summary>Moves to the first entry with a key at or after <paramref name="key"/> (the first entry for null).</summary>
    public void SeekForward(ReadOnlySpan<byte> key, bool fromStart)
    {
        Descend(key, fromStart);
        var page = _nodes[_leaf].Page;
        var slot = fromStart ? 0 : PageLayout.Search(page, key);
        _index[_leaf] = slot < 0 ? ~slot : slot;
        IsValid = _index[_leaf] < PageLayout.Count(page) || NextLeaf();
    }

    /// <summary>Moves to the last entry with a key before <paramref name="key"/> (the last entry with <paramref name="toEnd"/>).</summary>
    public void SeekBackward(ReadOnlySpan<byte> key, bool toEnd)
    {
        if (toEnd)
        {
            for (var level = 0; level < _leaf; level++)
            {
                _index[level] = _nodes[level].Count;
                _nodes[level + 1] = TreeReader.Child(_nodes[level], _index[level], _source);
            }

            _index[_leaf] = _nodes[_leaf].Count - 1;
        }
        else
        {
            Descend(key, fromStart: false);
            var slot = PageLayout.Search(_nodes[_leaf].Page, key);
            _index[_leaf] = (slot < 0 ? ~slot : slot) - 1;
        }

        IsValid = _index[_leaf] >= 0 || PreviousLeaf();
    }

    public void MoveNext()
    {
        IsValid = ++_index[_leaf] < _nodes[_leaf].Count || NextLeaf();
    }

    public void MovePrevious()
    {
        IsValid = --_index[_leaf] >= 0 || PreviousLeaf();
    }

    private void Descend(ReadOnlySpan<byte> key, bool fromStart)
    {
        for (var level = 0; level < _leaf; level++)
        {
            _index[level] = fromStart ? 0 : TreeReader.ChildIndex(_nodes[level].Page, key);
            _nodes[level + 1] = TreeReader.Child(_nodes[level], _index[level], _source);
        }
    }

    /// <summary>Moves to the first entry of the next non-empty leaf; false past the last.</summary>
    private bool NextLeaf()
    {
        while (true)
        {
            var level = _leaf - 1;
            while (level >= 0 && _index[level] >= _nodes[level].Count)
            {
                level--;
            }

            if (level < 0)
            {
                return false;
            }

            _index[level]++;
            for (; level < _leaf; level++)
            {
                _nodes[level + 1] = TreeReader.Child(_nodes[level], _index[level], _source);
                _index[level + 1] = 0;
            }

            if (_nodes[_leaf].Count > 0)
            {
                return true;
            }
        }
    }

    /// <summary>Moves to the last entry of the previous non-empty leaf; false before the first.</summary>
    private bool PreviousLeaf()
    {
        while (true)
        {
            var level = _leaf - 1;
            while (level >= 0 && _index[level] == 0)
            {
                level--;
            }

            if (level < 0)
            {
                return false;
            }

            _index[level]--;
            for (; level < _leaf; level++)
            {
                _nodes[level + 1] = TreeReader.Child(_nodes[level], _index[level], _source);
                _index[level + 1] = level + 1 < _leaf ? _nodes[level + 1].Count : _nodes[level + 1].Count - 1;
            }

            if (_index[_leaf] >= 0)
            {
                return true;
            }
        }
    }
}
