using Quire.Storage.Tree;

namespace Quire.Storage.Engine;

/// <summary>
/// The published state: a B+tree of slotted pages from key to versioned value, rebuilt
/// from the log on open. Readers take a short read lock; the copy-on-write tree with
/// frozen roots (lock-free snapshots) replaces the lock when checkpoints land.
/// </summary>
internal sealed class MemoryState(int pageSize)
{
    private readonly BTree _tree = new(pageSize);
    private readonly ReaderWriterLockSlim _lock = new();

    /// <summary>The last seq whose writes are visible, or -1.</summary>
    public long PublishedSeq { get; private set; } = -1;

    public bool TryGet(ReadOnlySpan<byte> key, out VersionedValue value)
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

    public List<StoredEntry> Scan(byte[]? from, byte[]? to)
    {
        var result = new List<StoredEntry>();
        _lock.EnterReadLock();
        try
        {
            foreach (var (key, version, value) in _tree.Scan(from, to))
            {
                if (value is not null)
                {
                    result.Add(new StoredEntry(key, value, version));
                }
            }
        }
        finally
        {
            _lock.ExitReadLock();
        }

        return result;
    }

    /// <summary>Applies one encoded batch and publishes its last seq (log replay).</summary>
    public void Apply(ReadOnlySpan<byte> payload, long firstSeq, int opCount)
    {
        _lock.EnterWriteLock();
        try
        {
            ApplyLocked(payload, firstSeq);
            PublishedSeq = firstSeq + opCount - 1;
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>Applies several commits, in seq order, under one lock acquisition. Called by the single writer.</summary>
    public void ApplyRange(IReadOnlyList<PendingCommit> commits, int from, int to)
    {
        _lock.EnterWriteLock();
        try
        {
            for (var i = from; i < to; i++)
            {
                var c = commits[i];
                if (c.FirstSeq < 0)
                {
                    continue; // rejected by a precondition
                }

                ApplyLocked(c.Batch.Payload, c.FirstSeq);
                PublishedSeq = c.FirstSeq + c.Batch.OpCount - 1;
            }
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    private void ApplyLocked(ReadOnlySpan<byte> payload, long firstSeq)
    {
        var reader = new BatchPayload.Reader(payload);
        while (reader.MoveNext())
        {
            _tree.Upsert(reader.Key, firstSeq + reader.OpIndex, reader.Value, reader.IsDelete);
        }
    }
}
