using Quire.Storage.Format;

namespace Quire.Storage.Tree;

/// <summary>
/// Keeping past versions (see <see cref="HistoryKey"/>): when a write replaces a cell
/// written by an earlier op, the old cell (version, value or tombstone) is captured, and
/// <see cref="FlushHistory"/> stores the captures under their history keys before the
/// generation is frozen, so a root holds the past versions of everything it replaced.
/// Captures are kept aside rather than inserted at once: a write must not move the path
/// or the finger of the writes around it, and a half of a parallel run must not touch
/// the other half's subtrees. Replays capture exactly as the first apply did, so a
/// crash loses no past version a checkpoint did not already hold. <see cref="Erase"/>
/// removes a cell outright, for reclaiming past versions beyond the retention.
/// </summary>
internal sealed partial class BTree
{
    // Null when history is not kept.
    private PastVersions? _past;

    // Keys to erase at the next flush (writes from a replay arrive in log order).
    private List<byte[]>? _erasures;

    /// <summary>Whether replaced cells are kept as past versions.</summary>
    public bool KeepsHistory
    {
        get => _past is not null;
        init => _past = value ? new PastVersions() : null;
    }

    /// <summary>Past versions captured and not yet stored.</summary>
    public int PendingPastVersions => _past?.Count ?? 0;

    /// <summary>Keeps the cell a write of <paramref name="newVersion"/> is about to replace (not a write of the same op, nor an engine key).</summary>
    private void Capture(Node leaf, LeafCell old, ReadOnlySpan<byte> key, long newVersion)
    {
        if (old.Version == newVersion || HistoryKey.IsReserved(key))
        {
            return;
        }

        if (old.IsOverflow)
        {
            _past!.Add(key, newVersion, old.Version, TreeReader.ValueOf(leaf, old, _source), tombstone: false);
        }
        else
        {
            _past!.Add(key, newVersion, old.Version, old.IsTombstone ? default : leaf.Page.AsSpan(old.ValueOffset, old.ValueLength), old.IsTombstone);
        }
    }

    /// <summary>Removes <paramref name="key"/>'s cell (no tombstone, no past version) at the next flush; nothing if it is not there.</summary>
    public void Erase(ReadOnlySpan<byte> key) => (_erasures ??= []).Add(key.ToArray());

    /// <summary>Carries out pending erasures, then stores the captured past versions.</summary>
    public void FlushHistory()
    {
        if (_erasures is { Count: > 0 } erasures)
        {
            foreach (var key in erasures)
            {
                EraseNow(key);
            }

            erasures.Clear();
        }

        _past?.StoreInto(this);
    }

    private void EraseNow(ReadOnlySpan<byte> key)
    {
        var (leaf, depth) = LeafFor(key);
        var page = leaf.Page;
        var slot = PageLayout.Search(page, key);
        if (slot < 0)
        {
            return;
        }

        var cell = PageLayout.ReadLeafCell(page, slot);
        var size = PageLayout.CellSize(page, slot);
        if (cell.IsOverflow)
        {
            ReleaseBlob(leaf, cell);
        }

        RemoveSlot(page, slot, size);
        Count--;
        if (PageLayout.Count(page) == 0)
        {
            RemoveEmptyLeaf(leaf, depth);
        }
    }

    /// <summary>
    /// Takes the empty leaf at <paramref name="depth"/> of the current path out of the tree,
    /// with the ancestors that held nothing else: the lowest ancestor with another child
    /// loses the child and one separator, and the neighbour whose range grows gets its
    /// fences again. Past versions are erased from the left of their range and appended
    /// at its right, so without this every leaf they ever filled would stay, empty.
    /// (Nodes still never merge: a leaf with one key left stays.)
    /// </summary>
    private void RemoveEmptyLeaf(Node leaf, int depth)
    {
        if (_deferred is not null)
        {
            return;   // a half of a parallel run shares the root: erasures wait for the merge anyway
        }

        var level = depth - 1;
        while (level >= 0 && _path[level].Count == 0)
        {
            level--;   // an ancestor whose only child is going goes with it
        }

        if (level < 0)
        {
            return;   // the whole tree is this chain: keep it, empty
        }

        var parent = _path[level];
        var index = _pathChild[level];
        var (parentLow, parentHigh) = Fences(level);
        for (var d = level + 1; d < depth; d++)
        {
            DropNode(_path[d]);   // the ancestors below the parent that held only this leaf
        }

        DropNode(leaf);

        // Remove the child and the separator on one side of it (the leftmost child's right one).
        var page = parent.Page;
        var childCount = parent.Count + 1;
        if (index == 0)
        {
            PageLayout.SetChildAddress(page, 0, PageLayout.ChildAddress(page, 1));
            RemoveSlot(page, 0, PageLayout.CellSize(page, 0));
        }
        else
        {
            RemoveSlot(page, index - 1, PageLayout.CellSize(page, index - 1));
        }

        var children = parent.Children!;
        System.Array.Copy(children, index + 1, children, index, childCount - index - 1);
        children[childCount - 1] = null;

        // The neighbour that now covers the removed child's range: its fences, so its prefix, change.
        var neighbour = index == 0 ? 0 : index - 1;
        var low = neighbour > 0 ? PageLayout.KeyAt(page, neighbour - 1).ToArray() : parentLow;
        var high = neighbour < parent.Count ? PageLayout.KeyAt(page, neighbour).ToArray() : parentHigh;
        _pathChild[level] = neighbour;
        var widened = WritableChild(parent, neighbour, level + 1);
        SetFences(widened, low, high);
        _finger = null;
        _lastInsertLeaf = null;
    }

    /// <summary>Lets go of a node taken out of the tree (one of this generation's: its older version was retired when it was copied).</summary>
    private void DropNode(Node node)
    {
        MarkReplaced(node);
        Retirement?.Retired(node);
    }

    /// <summary>Cells captured in one generation: their history keys and values in one array.</summary>
    private sealed class PastVersions
    {
        private byte[] _bytes = new byte[64 * 1024];
        private readonly List<Entry> _entries = [];
        private int _used;

        public int Count => _entries.Count;

        public void Add(ReadOnlySpan<byte> key, long replacedBy, long version, ReadOnlySpan<byte> value, bool tombstone)
        {
            var keyLength = HistoryKey.Length(key.Length);
            var size = keyLength + value.Length;
            if (_used + size > _bytes.Length)
            {
                Array.Resize(ref _bytes, Math.Max(_used + size, _bytes.Length * 2));
            }

            HistoryKey.Write(_bytes.AsSpan(_used), key, replacedBy);
            value.CopyTo(_bytes.AsSpan(_used + keyLength));
            _entries.Add(new Entry(_used, keyLength, value.Length, version, tombstone));
            _used += size;
        }

        /// <summary>Inserts every capture into <paramref name="tree"/> in key order (by the op that replaced it: appends at the right edge) and empties the list.</summary>
        public void StoreInto(BTree tree)
        {
            if (_entries.Count == 0)
            {
                return;
            }

            _entries.Sort((a, b) => Key(a).SequenceCompareTo(Key(b)));
            foreach (var entry in _entries)
            {
                tree.Upsert(Key(entry), entry.Version, _bytes.AsSpan(entry.Offset + entry.KeyLength, entry.ValueLength), entry.Tombstone);
            }

            _entries.Clear();
            _used = 0;
            if (_bytes.Length > 4 * 1024 * 1024)
            {
                _bytes = new byte[64 * 1024];   // a replay's burst: do not keep it
            }
        }

        /// <summary>Takes in the captures of a half of a parallel run.</summary>
        public void AddFrom(PastVersions other)
        {
            foreach (var entry in other._entries)
            {
                var key = other.Key(entry);
                if (_used + key.Length + entry.ValueLength > _bytes.Length)
                {
                    Array.Resize(ref _bytes, Math.Max(_used + key.Length + entry.ValueLength, _bytes.Length * 2));
                }

                other._bytes.AsSpan(entry.Offset, entry.KeyLength + entry.ValueLength).CopyTo(_bytes.AsSpan(_used));
                _entries.Add(entry with { Offset = _used });
                _used += entry.KeyLength + entry.ValueLength;
            }
        }

        private ReadOnlySpan<byte> Key(in Entry entry) => _bytes.AsSpan(entry.Offset, entry.KeyLength);

        private readonly record struct Entry(int Offset, int KeyLength, int ValueLength, long Version, bool Tombstone);
    }
}
