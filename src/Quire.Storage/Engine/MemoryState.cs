using System.Runtime.InteropServices;
using Quire.Storage.Tree;

namespace Quire.Storage.Engine;

/// <summary>
/// The state: a B+tree of slotted pages from key to versioned value, rebuilt from the
/// log on open. A group is applied to the tree before its fsync returns, so the tree
/// may hold writes that are not yet published. Readers must not see them: every write
/// applied ahead of publication saves the state it replaces (found on the same
/// descent), and a reader that finds a version above <see cref="PublishedSeq"/> reads
/// the saved state that was visible at that seq. At most one group is applied and not
/// fully published at a time (the publisher works in order and the writer applies
/// inline only when it is idle), so the saved states are dropped together once the
/// group is published. If the engine fails first, they keep readers on the last
/// published state. Readers take a short read lock; the copy-on-write tree with frozen
/// roots (lock-free snapshots) replaces all this when checkpoints land.
/// </summary>
internal sealed class MemoryState
{
    // A group this large gets a fresh dictionary rather than a Clear() of a huge one forever after.
    private const int UndoReuseLimit = 4096;

    private readonly BTree _tree;
    private readonly ReaderWriterLockSlim _lock = new();

    // Keys and replaced values of the applied group live in one arena, not an object each.
    private readonly ByteArena _saved = new();
    private readonly SavedKeyComparer _savedKeys;
    private Dictionary<SavedKey, UndoChain> _undo;
    private long _publishedSeq = -1;

    public MemoryState(int pageSize)
    {
        _tree = new BTree(pageSize);
        _savedKeys = new SavedKeyComparer(_saved);
        _undo = new Dictionary<SavedKey, UndoChain>(_savedKeys);
    }

    /// <summary>The last seq whose writes are visible, or -1.</summary>
    public long PublishedSeq => Volatile.Read(ref _publishedSeq);

    /// <summary>The published value of a key (tombstones included).</summary>
    public bool TryGet(ReadOnlySpan<byte> key, out VersionedValue value)
    {
        _lock.EnterReadLock();
        try
        {
            var found = _tree.TryGet(key, out var version, out var bytes);
            if (found && version > _publishedSeq)
            {
                (found, version, bytes) = Saved(_undo.GetAlternateLookup<ReadOnlySpan<byte>>()[key]);
            }

            value = new VersionedValue(version, bytes);
            return found;
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>
    /// The value of a key including everything applied but not yet published: what the
    /// sequencer checks preconditions against (every earlier commit counts).
    /// </summary>
    public bool TryGetLatest(ReadOnlySpan<byte> key, out VersionedValue value)
    {
        _lock.EnterReadLock();
        try
        {
            var found = _tree.TryGet(key, out var version, out var bytes);
            value = new VersionedValue(version, bytes);
            return found;
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>Published live entries with from &lt;= key &lt; to, in key order.</summary>
    public List<StoredEntry> Scan(byte[]? from, byte[]? to)
    {
        var result = new List<StoredEntry>();
        _lock.EnterReadLock();
        try
        {
            foreach (var (key, version, value) in _tree.Scan(from, to))
            {
                var (v, bytes) = (version, value);
                if (version > _publishedSeq)
                {
                    (_, v, bytes) = Saved(_undo.GetAlternateLookup<ReadOnlySpan<byte>>()[key]);
                }

                if (bytes is not null)
                {
                    result.Add(new StoredEntry(key, bytes, v));
                }
            }
        }
        finally
        {
            _lock.ExitReadLock();
        }

        return result;
    }

    /// <summary>Applies and publishes one encoded batch at once (log replay on open).</summary>
    public void ApplyAndPublish(ReadOnlySpan<byte> payload, long firstSeq, int opCount)
    {
        var reader = new BatchPayload.Reader(payload);
        while (reader.MoveNext())
        {
            _tree.Upsert(reader.Key, firstSeq + reader.OpIndex, reader.Value, reader.IsDelete);
        }

        _publishedSeq = firstSeq + opCount - 1;
    }

    /// <summary>Applies sequenced commits ahead of publication, saving what each write replaces.</summary>
    public void Apply(IReadOnlyList<PendingCommit> commits, int from, int to)
    {
        _lock.EnterWriteLock();
        try
        {
            var undo = _undo.GetAlternateLookup<ReadOnlySpan<byte>>();
            for (var i = from; i < to; i++)
            {
                var commit = commits[i];
                if (commit.FirstSeq < 0)
                {
                    continue; // rejected by a precondition
                }

                var reader = new BatchPayload.Reader(commit.Batch.Payload);
                while (reader.MoveNext())
                {
                    var version = commit.FirstSeq + reader.OpIndex;
                    _tree.Upsert(reader.Key, version, reader.Value, reader.IsDelete, _saved, out var prior);
                    ref var chain = ref CollectionsMarshal.GetValueRefOrAddDefault(undo, reader.Key, out var exists);
                    var saved = new PriorState(version, prior);
                    if (exists)
                    {
                        (chain.Later ??= []).Add(saved);
                    }
                    else
                    {
                        chain.First = saved;
                    }
                }
            }
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>
    /// Makes commits [from, to) of the applied group visible (seq order). When the range
    /// reaches the group's end, nothing saved is needed any more.
    /// </summary>
    public void Publish(IReadOnlyList<PendingCommit> commits, int from, int to)
    {
        _lock.EnterWriteLock();
        try
        {
            for (var i = to - 1; i >= from; i--)
            {
                if (commits[i].FirstSeq >= 0)
                {
                    Volatile.Write(ref _publishedSeq, commits[i].FirstSeq + commits[i].Batch.OpCount - 1);
                    break;
                }
            }

            if (to == commits.Count)
            {
                if (_undo.Count > UndoReuseLimit)
                {
                    _undo = new Dictionary<SavedKey, UndoChain>(_savedKeys);
                }
                else
                {
                    _undo.Clear();
                }

                _saved.Reset();
            }
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>The saved state visible at the published seq, its value copied out of the arena.</summary>
    private (bool Found, long Version, byte[]? Value) Saved(UndoChain chain)
    {
        var prior = chain.VisibleAt(_publishedSeq).Prior;
        return (prior.Existed, prior.Version, !prior.Existed || prior.Tombstone ? null : _saved.Get(prior.ValueOffset, prior.ValueLength).ToArray());
    }

    /// <summary>The state a write (of version <see cref="ReplacedBy"/>) replaced.</summary>
    private readonly record struct PriorState(long ReplacedBy, PriorEntry Prior);

    /// <summary>The states a key went through within the applied group, oldest first (one, but for keys written twice).</summary>
    private struct UndoChain
    {
        public PriorState First;
        public List<PriorState>? Later;

        /// <summary>The state visible at <paramref name="published"/>: the one the first unpublished write replaced.</summary>
        public readonly PriorState VisibleAt(long published)
        {
            if (First.ReplacedBy > published || Later is null)
            {
                return First;
            }

            foreach (var state in Later)
            {
                if (state.ReplacedBy > published)
                {
                    return state;
                }
            }

            throw new InvalidOperationException("a key above the published seq has no saved state for it");
        }
    }

    /// <summary>A key copied into the arena.</summary>
    private readonly record struct SavedKey(int Offset, int Length);

    /// <summary>Compares arena keys by their bytes, and lets the dictionary be probed (and filled) with a span.</summary>
    private sealed class SavedKeyComparer(ByteArena arena) : IEqualityComparer<SavedKey>, IAlternateEqualityComparer<ReadOnlySpan<byte>, SavedKey>
    {
        public bool Equals(SavedKey x, SavedKey y) => arena.Get(x.Offset, x.Length).SequenceEqual(arena.Get(y.Offset, y.Length));

        public int GetHashCode(SavedKey obj) => GetHashCode(arena.Get(obj.Offset, obj.Length));

        public bool Equals(ReadOnlySpan<byte> alternate, SavedKey other) => alternate.SequenceEqual(arena.Get(other.Offset, other.Length));

        public int GetHashCode(ReadOnlySpan<byte> alternate) => ByteArrayComparer.Instance.GetHashCode(alternate);

        public SavedKey Create(ReadOnlySpan<byte> alternate) => new(arena.Append(alternate), alternate.Length);
    }
}
