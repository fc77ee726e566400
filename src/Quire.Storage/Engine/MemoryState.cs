namespace Quire.Storage.Engine;

/// <summary>
/// The published state as an ordered map from key to versioned value, rebuilt from the
/// log on open. A stand-in until the copy-on-write tree replaces it: readers take a
/// short lock here, where the tree will give them a frozen root instead.
/// </summary>
internal sealed class MemoryState
{
    private readonly SortedDictionary<byte[], VersionedValue> _map = new(ByteArrayComparer.Instance);
    private readonly ReaderWriterLockSlim _lock = new();

    /// <summary>The last seq whose writes are visible, or -1.</summary>
    public long PublishedSeq { get; private set; } = -1;

    public int Count
    {
        get
        {
            _lock.EnterReadLock();
            try
            {
                return _map.Count;
            }
            finally
            {
                _lock.ExitReadLock();
            }
        }
    }

    public bool TryGet(byte[] key, out VersionedValue value)
    {
        _lock.EnterReadLock();
        try
        {
            return _map.TryGetValue(key, out value);
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
            IEnumerable<KeyValuePair<byte[], VersionedValue>> items = _map;
            foreach (var (key, value) in items)
            {
                if (from is not null && ByteArrayComparer.Instance.Compare(key, from) < 0)
                {
                    continue;
                }

                if (to is not null && ByteArrayComparer.Instance.Compare(key, to) >= 0)
                {
                    break;
                }

                if (value.Value is not null)
                {
                    result.Add(new StoredEntry(key, value.Value, value.Version));
                }
            }
        }
        finally
        {
            _lock.ExitReadLock();
        }

        return result;
    }

    /// <summary>Applies encoded batches in seq order and publishes their last seq. Called by the single writer.</summary>
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

    /// <summary>Applies several commits under one lock acquisition.</summary>
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
            _map[reader.Key.ToArray()] = new VersionedValue(firstSeq + reader.OpIndex, reader.IsDelete ? null : reader.Value.ToArray());
        }
    }
}
