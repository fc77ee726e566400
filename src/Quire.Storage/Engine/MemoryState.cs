using Quire.Storage.Tree;

namespace Quire.Storage.Engine;

/// <summary>
/// The state: a B+tree of slotted pages from key to versioned value, rebuilt from the
/// log on open. A group is applied to the tree while its fsync is still running, so
/// the tree may hold writes that are not yet published. Readers must not see them:
/// every write applied ahead of publication first saves the state it replaces in an
/// undo list, and a reader that finds a version above <see cref="PublishedSeq"/> reads
/// the oldest saved state instead. Publishing a group drops what it made obsolete.
/// If the engine fails before publishing, the undo lists keep readers on the last
/// published state. Readers take a short read lock; the copy-on-write tree with frozen
/// roots (lock-free snapshots) replaces all this when checkpoints land.
/// </summary>
internal sealed class MemoryState(int pageSize)
{
    private readonly BTree _tree = new(pageSize);
    private readonly ReaderWriterLockSlim _lock = new();
    private readonly Dictionary<byte[], List<PriorState>> _undo = new(ByteArrayComparer.Instance);
    private long _publishedSeq = -1;

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
                var prior = _undo.GetAlternateLookup<ReadOnlySpan<byte>>()[key][0];
                found = prior.Existed;
                (version, bytes) = (prior.Version, prior.Value);
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
                    var prior = _undo[key][0];
                    (v, bytes) = prior.Existed ? (prior.Version, prior.Value) : (0, null);
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
                    var existed = _tree.TryGet(reader.Key, out var priorVersion, out var priorValue);
                    if (!undo.TryGetValue(reader.Key, out var chain))
                    {
                        chain = [];
                        undo[reader.Key] = chain;
                    }

                    chain.Add(new PriorState(version, existed, priorVersion, priorValue));
                    _tree.Upsert(reader.Key, version, reader.Value, reader.IsDelete);
                }
            }
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>Makes applied commits visible, in seq order, and drops the saved states they made obsolete.</summary>
    public void Publish(IReadOnlyList<PendingCommit> commits, int from, int to)
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
                    continue;
                }

                var published = commit.FirstSeq + commit.Batch.OpCount - 1;
                Volatile.Write(ref _publishedSeq, published);
                var reader = new BatchPayload.Reader(commit.Batch.Payload);
                while (reader.MoveNext())
                {
                    if (undo.TryGetValue(reader.Key, out var chain))
                    {
                        // A saved state is obsolete once the write that replaced it is visible.
                        var obsolete = 0;
                        while (obsolete < chain.Count && chain[obsolete].ReplacedBy <= published)
                        {
                            obsolete++;
                        }

                        if (obsolete == chain.Count)
                        {
                            undo.Remove(reader.Key);
                        }
                        else
                        {
                            chain.RemoveRange(0, obsolete);
                        }
                    }
                }
            }
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>The state a write replaced: whether the key existed, its version and value (null for a tombstone).</summary>
    private readonly record struct PriorState(long ReplacedBy, bool Existed, long Version, byte[]? Value);
}
