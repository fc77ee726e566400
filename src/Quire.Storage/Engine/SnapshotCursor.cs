using Quire.Storage.Tree;

namespace Quire.Storage.Engine;

/// <summary>
/// Reads a <see cref="Snapshot"/> without copying: a walk over live entries in a key
/// range (<see cref="MoveNext"/>) or point lookups (<see cref="TryFind"/>), each leaving
/// the entry's key and value as spans into the tree's pages. The spans are valid until
/// the cursor moves or is disposed; copy what must outlive that. The cursor pins the
/// snapshot's root while open, so dispose it. One thread at a time.
/// Hot path for queries: no allocation per entry (values kept in overflow pages on disk
/// are the exception; they are read into a new array).
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
    private Node? _leaf;
    private int _slot;
    private byte[]? _loadedValue;

    internal SnapshotCursor(Snapshot snapshot, TreeRoot root, INodeSource? source, byte[]? from, byte[]? to, bool reverse)
    {
        _snapshot = snapshot;
        _root = root;
        _source = source;
        _from = from;
        _to = to;
        _reverse = reverse;
    }

    /// <summary>The current entry's key.</summary>
    public ReadOnlySpan<byte> Key => PageLayout.KeyAt(Current.Page, _slot);

    /// <summary>The version (seq of the op that wrote it) of the current entry.</summary>
    public long Version => PageLayout.ReadLeafCell(Current.Page, _slot).Version;

    /// <summary>The current entry's value.</summary>
    public ReadOnlySpan<byte> Value
    {
        get
        {
            var leaf = Current;
            var cell = PageLayout.ReadLeafCell(leaf.Page, _slot);
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

    /// <summary>Moves to the next live entry of the range (the first on the first call); false past its end.</summary>
    public bool MoveNext()
    {
        ThrowIfUnusable();
        _loadedValue = null;
        var walk = _walk ??= new TreeCursor(_root, _source);
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
            var key = walk.Key;
            if (_reverse ? _from is not null && key.SequenceCompareTo(_from) < 0 : _to is not null && key.SequenceCompareTo(_to) >= 0)
            {
                break;
            }

            if (!walk.Cell.IsTombstone)
            {
                (_leaf, _slot) = (walk.Leaf, walk.Slot);
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

    /// <summary>Goes to the live entry with exactly <paramref name="key"/>; false (and on no entry) when there is none or it was deleted.</summary>
    public bool TryFind(ReadOnlySpan<byte> key)
    {
        ThrowIfUnusable();
        _loadedValue = null;
        var leaf = TreeReader.FindLeaf(_root.Node, key, _source);
        var slot = PageLayout.Search(leaf.Page, key);
        if (slot < 0 || PageLayout.ReadLeafCell(leaf.Page, slot).IsTombstone)
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
            _root.Unpin();
        }
    }

    private void ThrowIfUnusable()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _snapshot.ThrowIfUnusable();
    }
}
