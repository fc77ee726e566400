using Quire.Keys;
using Quire.Storage.Engine;
using Quire.Storage.Format;
using Quire.Storage.Log;

namespace Quire.Databases;

/// <summary>
/// Replication: a primary's log read from a seq and held for a replica while it reads; a
/// replica's commits of those records (<see cref="DatabaseOptions.ReplicaOf"/>).
/// </summary>
public sealed partial class Database
{
    private bool _promoted;

    /// <summary>Whether this database is a read-only replica (its writes come from its primary's log).</summary>
    public bool IsReplica => _options.ReplicaOf is not null && !Volatile.Read(ref _promoted);

    /// <summary>
    /// Makes a replica a primary: it takes writes again, at the seq after the last record it
    /// applied, and its background writers start. Nothing is applied from the old primary after this.
    /// </summary>
    public void Promote()
    {
        lock (_builds)
        {
            if (!IsReplica)
            {
                return;
            }

            Volatile.Write(ref _promoted, true);
            Engine.ReadOnlyReason = null;
            _maintenance.Start();
            ResumeIndexWork();
        }
    }

    /// <summary>The first seq the log still holds: a replica behind it needs a copy of the database first.</summary>
    public long LogStartSeq => Engine.LogStartSeq;

    /// <summary>The durable log records from the one holding <paramref name="fromSeq"/> on (the first may start before it).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The log no longer holds <paramref name="fromSeq"/>.</exception>
    public IEnumerable<LogRecord> ReadLogRecords(long fromSeq) => Engine.ReadLog(fromSeq);

    /// <summary>The durable log records from <paramref name="cursor"/> on, read from where it stands (a replica's stream tailing the log).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The log no longer holds the cursor's seq.</exception>
    public List<LogRecord> ReadLogRecords(LogCursor cursor) => Engine.ReadLog(cursor);

    /// <summary>
    /// The hash chain's head as of <paramref name="seq"/> (lower-case hex): the hash of the
    /// last chained op at or before it. Null when no such op is held (none yet, or pruned
    /// from the op log) or <paramref name="seq"/> is past the last seq: nothing to compare.
    /// </summary>
    public string? ChainHeadAt(long seq)
    {
        var (last, head) = Head;
        if (seq > last)
        {
            return null;
        }

        if (seq == last)
        {
            return head;
        }

        var to = new byte[Keyspace.OpLogPrefix.Length + 8];
        HashChain.RecordKey(Keyspace.OpLogPrefix, seq + 1, to);
        using var view = Engine.OpenSnapshot();
        using var cursor = view.Cursor(Keyspace.OpLogPrefix, to, reverse: true);
        if (cursor.MoveNext())
        {
            return Convert.ToHexStringLower(cursor.Value.Slice(HashChain.HashSize, HashChain.HashSize));
        }

        return null;
    }

    /// <summary>
    /// Checkpoints, then opens a copy of the database as of that checkpoint, consistent while
    /// writes go on (a replica's bootstrap; see <see cref="DatabaseCopy"/>).
    /// </summary>
    public async Task<DatabaseCopy> OpenCopyAsync()
    {
        await Engine.CheckpointAsync().ConfigureAwait(false);
        var storage = Engine.OpenCheckpointCopy();
        try
        {
            return new DatabaseCopy(DatabaseCopy.ReadHeader(Directory, _options), storage);
        }
        catch
        {
            storage.Dispose();
            throw;
        }
    }

    /// <summary>Bytes of log kept on disk from <paramref name="seq"/> on: what a replica reading there holds.</summary>
    public long LogBytesFrom(long seq) => Engine.LogBytesFrom(seq);

    /// <summary>Keeps the log from <paramref name="seq"/> on, through checkpoints, until the hold moves or is disposed.</summary>
    public LogHolds.Hold HoldLog(long seq) => Engine.LogHolds.Take(seq);

    /// <summary>
    /// Commits one of the primary's log records as it is, at its seqs (records in order, many
    /// in flight at once), and wakes the change feed's readers.
    /// </summary>
    /// <exception cref="ReplicationGapException">The record does not follow the last one.</exception>
    /// <exception cref="InvalidOperationException">The database is not a replica (any more).</exception>
    public async Task ApplyReplicatedAsync(LogRecord record, CancellationToken cancellationToken = default)
    {
        if (!IsReplica)
        {
            throw new InvalidOperationException($"database {Name} is not a replica: it takes no primary's log");
        }

        await Engine.CommitReplicatedAsync(record, cancellationToken).ConfigureAwait(false);
        _changes.Notify();
    }
}
