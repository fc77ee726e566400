using Quire.Storage.Tree;

namespace Quire.Storage.Engine;

/// <summary>
/// Reads a <see cref="Snapshot"/> without copying: a walk over live entries in a key
/// range (<see cref="MoveNext()"/>) or point lookups (<see cref="TryFind"/>), each leaving
/// the entry's key and value as spans into the tree's pages. The spans are valid until
/// the cursor moves or is disposed; copy what must outlive that. A cursor either walks
/// or finds: after a <see cref="TryFind"/>, <see cref="MoveNext()"/> throws. The cursor
/// pins the snapshot's root while open, so dispose it. One thread at a time.
/// Hot path for queries: no allocation per entry (values kept in overflow pages on disk
/// are the exception; they are read into a new array). A cursor of a view as of an
/// earlier seq walks the live cells and tombstones alike: one no newer than that seq is
/// shown as it is, a newer one by the past version it replaced (<see cref="PastVersionReader"/>).
/// </summary>
public sealed class SnapshotCursor : IDisposable
{
    private readonly Snapshot _snapshot;
    private readonly TreeRoot _root;
    private readonly INodeSource? _source;
    private readonly byte[]? _from;
    private readonly byte[]? _to;
    private readonly bool _reverse;
    private TreeCursor? _walk;
    private bool _started;
    private bool _disposed;
    private bool _found;
    private Node? _leaf;
    private int _slot;
    private byte[]? _loadedValue;
    private Node? _boundLeaf;
    private int _inBoundFrom;
    private int _inBoundTo = -1;

    // As of an earlier seq (long.MaxValue: the root's own state): where past versions are
    // found, and the past version the current entry shows (null: its own cell).
    private readonly long _asOf;
    private PastVersionReader? _past;
    private Node? _valueLeaf;
    private int _valueSlot;

    internal SnapshotCursor(Snapshot snapshot, TreeRoot root, INodeSource? source, byte[]? from, byte[]? to, bool reverse, long asOf = long.MaxValue)
    {
        _snapshot = snapshot;
        _root = root;
        _source = source;
        _from = from;
        _to = to;
        _reverse = reverse;
        _asOf = asOf;
    }

    /// <summary>The current entry's key.</summary>
    public ReadOnlySpan<byte> Key => PageLayout.KeyAt(Current.Page, _slot);

    /// <summary>The version (seq of the op that wrote it) of the current entry.</summary>
    public long Version => _valueLeaf is { } past ? PageLayout.ReadLeafCell(past.Page, _valueSlot).Version : PageLayout.ReadLeafCell(Current.Page, _slot).Version;

    /// <summary>The current entry's value.</summary>
    public ReadOnlySpan<byte> Value
    {
        get
        {
            var (leaf, slot) = _valueLeaf is { } past ? (past, _valueSlot) : (Current, _slot);
            var cell = PageLayout.ReadLeafCell(leaf.Page, slot);
            if (!cell.IsOverflow)
            {
                return leaf.Page.AsSpan(cell.ValueOffset, cell.ValueLength);
            }

            var blobSlot = PageLayout.BlobSlot(leaf.Page, cell.ValueOffset);
            if (leaf.Blobs is { } blobs && blobSlot < blobs.Length && blobs[blobSlot] is { } blob)
            {
                return blob.Bytes;
            }

            return _loadedValue ??= TreeReader.ValueOf(leaf, cell, _source);
        }
    }

    private Node Current => _leaf ?? throw new InvalidOperationException("the cursor is not on an entry");

    /// <summary>
    /// <see cref="MoveNext()"/> that also gives the new entry's key (empty past the end):
    /// for merges that compare keys at every step.
    /// </summary>
    public bool MoveNext(out ReadOnlySpan<byte> key)
    {
        _loadedValue = null;

        // Hot path: the neighbouring slot of the same leaf, known to be in range, if live.
        // (A disposed or cancelled snapshot is noticed at the next leaf: the pin keeps this one valid.)
        if (_leaf is { } current && current == _boundLeaf && _asOf == long.MaxValue)
        {
            var next = _reverse ? _slot - 1 : _slot + 1;
            if (next >= _inBoundFrom && next <= _inBoundTo)
            {
                var cell = PageLayout.KeyAt(current.Page, next, out var tombstone);
                if (!tombstone)
                {
                    _slot = next;
                    key = cell;
                    return true;
                }
            }
        }

        if (MoveToNextLeafEntry())
        {
            key = Key;
            return true;
        }

        key = default;
        return false;
    }

    /// <summary>Moves to the next live entry of the range (the first on the first call); false past its end.</summary>
    public bool MoveNext() => MoveNext(out _);

    /// <summary>The walk through the tree, for the first entry and whenever the hot path cannot step.</summary>
    private bool MoveToNextLeafEntry()
    {
        ThrowIfUnusable();
        if (_found)
        {
            throw new InvalidOperationException("a cursor used for TryFind cannot walk: open another");
        }

        var walk = _walk ??= new TreeCursor(_root, _source);
        if (_leaf is not null)
        {
            walk.Slot = _slot;   // the hot path moved without the walk
        }

        if (!_started)
        {
            _started = true;
            if (_reverse)
            {
                walk.SeekBackward(_to, toEnd: _to is null);
            }
            else
            {
                walk.SeekForward(_from, fromStart: _from is null);
            }
        }
        else if (_reverse)
        {
            walk.MovePrevious();
        }
        else
        {
            walk.MoveNext();
        }

        while (walk.IsValid)
        {
            var leaf = walk.Leaf;
            var slot = walk.Slot;
            if (leaf != _boundLeaf)
            {
                _boundLeaf = leaf;
                (_inBoundFrom, _inBoundTo) = InBoundSlots(leaf.Page);
            }

            if ((slot < _inBoundFrom || slot > _inBoundTo) && !InBound(walk.Key))
            {
                break;
            }

            if (Shows(leaf, slot))
            {
                (_leaf, _slot) = (leaf, slot);
                return true;
            }

            if (_reverse)
            {
                walk.MovePrevious();
            }
            else
            {
                walk.MoveNext();
            }
        }

        _leaf = null;
        return false;
    }

    /// <summary>Whether the cell at <paramref name="slot"/> has a live value as of the view's seq (setting the past version to show, if any).</summary>
    private bool Shows(Node leaf, int slot)
    {
        _valueLeaf = null;
        var cell = PageLayout.ReadLeafCell(leaf.Page, slot);
        if (cell.Version <= _asOf)
        {
            return !cell.IsTombstone;
        }

        var past = _past ??= new PastVersionReader(_root, _source);
        if (!past.Seek(PageLayout.KeyAt(leaf.Page, slot), cell.Version, _asOf) || past.Found.Cell.IsTombstone)
        {
            return false;
        }

        (_valueLeaf, _valueSlot) = (past.Found.Leaf, past.Found.Slot);
        return true;
    }

    private bool InBound(ReadOnlySpan<byte> key) =>
        _reverse ? _from is null || key.SequenceCompareTo(_from) >= 0 : _to is null || key.SequenceCompareTo(_to) < 0;

    /// <summary>
    /// The slots of a leaf known to lie within the range's far bound (the one the walk
    /// heads for): all of them when the leaf's last key (first, walking backward) does,
    /// else none, and each key is compared. A long range compares once per leaf.
    /// </summary>
    private (int From, int To) InBoundSlots(byte[] page)
    {
        var count = PageLayout.Count(page);
        if (count == 0)
        {
            return (0, -1);
        }

        return InBound(PageLayout.KeyAt(page, _reverse ? 0 : count - 1)) ? (0, count - 1) : (0, -1);
    }

    /// <summary>Goes to the live entry with exactly <paramref name="key"/>; false (and on no entry) when there is none or it was deleted.</summary>
    public bool TryFind(ReadOnlySpan<byte> key)
    {
        ThrowIfUnusable();
        _found = true;
        _boundLeaf = null;   // and so no walking step from here
        _loadedValue = null;
        var leaf = TreeReader.FindLeaf(_root.Node, key, _source);
        var slot = PageLayout.Search(leaf.Page, key);
        if (slot < 0 || !Shows(leaf, slot))
        {
            _leaf = null;
            return false;
        }

        (_leaf, _slot) = (leaf, slot);
        return true;
    }

    /// <summary>Releases the cursor's pin on the snapshot's root.</summary>
    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            _leaf = null;
            _valueLeaf = null;
            _root.Unpin();
        }
    }

    private void ThrowIfUnusable()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _snapshot.ThrowIfUnusable();
    }
}
