using System.Diagnostics;
using Quire.Storage.Format;
using Quire.Storage.Tree;

namespace Quire.Storage.Engine;

/// <summary>
/// A stable view of the database as of <see cref="Seq"/>: later commits never show in
/// it. Reads take no locks. Dispose it when done, so the pages only it still needs can
/// be reused; one kept past <see cref="StorageOptions.MaxSnapshotAge"/>, or keeping
/// too much memory, is cancelled and its reads throw <see cref="SnapshotExpiredException"/>.
/// </summary>
public sealed class Snapshot : IDisposable
{
    private const int Open = 0;
    private const int Disposed = 1;
    private const int Expired = 2;

    private readonly TreeRoot _root;
    private readonly INodeSource? _source;
    private readonly SnapshotRegistry? _registry;
    private readonly LinkedListNode<Snapshot>? _registration;
    private readonly long _asOf;
    private readonly byte[]? _reservedFrom;
    private int _state;
    private string? _expiredBecause;

    /// <param name="root">A pinned root, unpinned when the snapshot is disposed or expires.</param>
    /// <param name="source">Where stored nodes are read from.</param>
    /// <param name="registry">Where open snapshots are tracked for their caps.</param>
    /// <param name="asOf">Show the state as of this seq, from the past versions <paramref name="root"/> keeps (<see cref="long.MaxValue"/>: the root's own state).</param>
    /// <param name="hidesReserved">Whether the engine's own keys (history is kept) are left out of scans.</param>
    internal Snapshot(TreeRoot root, INodeSource? source, SnapshotRegistry? registry, long asOf = long.MaxValue, bool hidesReserved = false)
    {
        _root = root;
        _source = source;
        _registry = registry;
        _asOf = asOf;
        _reservedFrom = hidesReserved ? [HistoryKey.Reserved] : null;
        OpenedTicks = Stopwatch.GetTimestamp();
        _registration = registry?.Add(this);
    }

    /// <summary>The seq of the last op this view holds, or -1 for an empty database.</summary>
    public long Seq => IsAsOf ? _asOf : _root.Seq;

    /// <summary>Whether this view shows an earlier seq than the root it reads (<see cref="StorageEngine.OpenSnapshot(long)"/>).</summary>
    public bool IsAsOf => _asOf != long.MaxValue;

    /// <summary>The head of the hash chain as of <see cref="Seq"/>; a view as of an earlier seq has none of its own (read that seq's chain record).</summary>
    /// <exception cref="InvalidOperationException">The view is as of an earlier seq.</exception>
    public byte[] ChainHead => IsAsOf
        ? throw new InvalidOperationException("a view as of an earlier seq has no chain head of its own: read that seq's chain record")
        : (byte[])_root.ChainHead.Clone();

    internal long OpenedTicks { get; }

    /// <summary>The live value of <paramref name="key"/>, or null when it does not exist or was deleted.</summary>
    public byte[]? Get(ReadOnlySpan<byte> key) => TryGetVersioned(key, out var value) ? value.Value : null;

    /// <summary>The value and version of <paramref name="key"/>, tombstones included; false when it was never written.</summary>
    public bool TryGetVersioned(ReadOnlySpan<byte> key, out VersionedValue value)
    {
        Enter();
        try
        {
            var found = TreeReader.TryGet(_root.Node, key, _source, out var version, out var bytes);
            if (found && version > _asOf)
            {
                var past = new PastVersionReader(_root, _source);
                found = past.Seek(key, version, _asOf);
                (version, bytes) = found ? (past.Found.Cell.Version, past.Found.Value) : (0, null);
            }

            value = new VersionedValue(version, bytes);
            return found;
        }
        finally
        {
            _root.Unpin();
        }
    }

    /// <summary>
    /// Live entries with <paramref name="from"/> &lt;= key &lt; <paramref name="to"/> (null
    /// bounds are open), in key order or, with <paramref name="reverse"/>, from the last.
    /// Lazy: entries are read as the enumeration moves. Each entry is a copy; a
    /// <see cref="Cursor"/> reads the same without copying.
    /// </summary>
    public IEnumerable<StoredEntry> Scan(byte[]? from = null, byte[]? to = null, bool reverse = false)
    {
        using var cursor = Cursor(from, to, reverse);
        while (cursor.MoveNext())
        {
            yield return new StoredEntry(cursor.Key.ToArray(), cursor.Value.ToArray(), cursor.Version);
        }
    }

    /// <summary>
    /// A cursor over the live entries with <paramref name="from"/> &lt;= key &lt;
    /// <paramref name="to"/> (null bounds are open), in key order or, with
    /// <paramref name="reverse"/>, from the last; it also does point lookups
    /// (<see cref="SnapshotCursor.TryFind"/>). Dispose it when done.
    /// </summary>
    public SnapshotCursor Cursor(byte[]? from = null, byte[]? to = null, bool reverse = false)
    {
        if (_reservedFrom is not null && (to is null || to.AsSpan().SequenceCompareTo(_reservedFrom) > 0))
        {
            to = _reservedFrom;   // the engine's own keys are not the caller's
        }

        Enter();
        return new SnapshotCursor(this, _root, _source, from, to, reverse, _asOf);
    }

    /// <summary>Releases the view.</summary>
    public void Dispose()
    {
        if (Interlocked.CompareExchange(ref _state, Disposed, Open) == Open)
        {
            _root.Unpin();
            if (_registration is not null)
            {
                _registry!.Remove(_registration);
            }
        }
    }

    /// <summary>Cancels the view: reads in progress finish, later ones throw.</summary>
    internal void Expire(string because)
    {
        _expiredBecause = because;
        if (Interlocked.CompareExchange(ref _state, Expired, Open) == Open)
        {
            _root.Unpin();
        }
    }

    /// <summary>Pins the root for one read: the snapshot's own pin may go (expiry) while it runs.</summary>
    private void Enter()
    {
        // While the snapshot's own pin holds, a failed pin only means a reclaim was looking.
        do
        {
            ThrowIfUnusable();
        }
        while (!_root.TryPin());
    }

    internal void ThrowIfUnusable()
    {
        var state = Volatile.Read(ref _state);
        ObjectDisposedException.ThrowIf(state == Disposed, this);
        if (state == Expired)
        {
            throw new SnapshotExpiredException($"the snapshot at seq {Seq} was cancelled: {_expiredBecause}");
        }
    }
}
