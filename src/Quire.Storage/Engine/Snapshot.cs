using Quire.Storage.Tree;

namespace Quire.Storage.Engine;

/// <summary>
/// A stable view of the database as of <see cref="Seq"/>: later commits never show in
/// it. Reads take no locks. Dispose it when done, so the pages only it still needs can
/// be reused.
/// </summary>
public sealed class Snapshot : IDisposable
{
    private readonly TreeRoot _root;
    private readonly INodeSource? _source;
    private int _disposed;

    /// <param name="root">A pinned root, unpinned when the snapshot is disposed.</param>
    /// <param name="source">Where stored nodes are read from.</param>
    internal Snapshot(TreeRoot root, INodeSource? source)
    {
        _root = root;
        _source = source;
    }

    /// <summary>The seq of the last op this view holds, or -1 for an empty database.</summary>
    public long Seq => _root.Seq;

    /// <summary>The live value of <paramref name="key"/>, or null when it does not exist or was deleted.</summary>
    public byte[]? Get(ReadOnlySpan<byte> key) => TryGetVersioned(key, out var value) ? value.Value : null;

    /// <summary>The value and version of <paramref name="key"/>, tombstones included; false when it was never written.</summary>
    public bool TryGetVersioned(ReadOnlySpan<byte> key, out VersionedValue value)
    {
        ThrowIfDisposed();
        var found = TreeReader.TryGet(_root.Node, key, _source, out var version, out var bytes);
        value = new VersionedValue(version, bytes);
        return found;
    }

    /// <summary>
    /// Live entries with <paramref name="from"/> &lt;= key &lt; <paramref name="to"/> (null
    /// bounds are open), in key order or, with <paramref name="reverse"/>, from the last.
    /// Lazy: entries are read as the enumeration moves.
    /// </summary>
    public IEnumerable<StoredEntry> Scan(byte[]? from = null, byte[]? to = null, bool reverse = false)
    {
        ThrowIfDisposed();
        foreach (var cursor in TreeCursor.Range(_root, _source, from, to, reverse))
        {
            ThrowIfDisposed();
            var cell = cursor.Cell;
            if (!cell.IsTombstone)
            {
                yield return new StoredEntry(cursor.Key.ToArray(), cursor.Value!, cell.Version);
            }
        }
    }

    /// <summary>Releases the view.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _root.Unpin();
        }
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
}
