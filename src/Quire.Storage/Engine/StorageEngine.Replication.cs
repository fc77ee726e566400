using Quire.Storage.Format;
using Quire.Storage.Log;

namespace Quire.Storage.Engine;

/// <summary>
/// Replication: a primary's log read from a seq (<see cref="ReadLog(LogCursor, int)"/>) and held for its
/// readers (<see cref="LogHolds"/>); a replica commits those records as they are
/// (<see cref="CommitReplicatedAsync"/>), so it takes the same seqs and ends with the same
/// chain head, and refuses every other commit while <see cref="ReadOnlyReason"/> is set.
/// </summary>
public sealed partial class StorageEngine
{
    private readonly Lock _replicaGate = new();
    private long _replicaNext = -1;
    private string? _readOnlyReason;

    /// <summary>The log's readers' holds: a checkpoint recycles no record they need.</summary>
    public LogHolds LogHolds { get; } = new();

    /// <summary>
    /// The durable log records from <paramref name="cursor"/> on (about <paramref name="maxBytes"/>
    /// at most), read from where it stands; the cursor moves past them.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The log no longer holds the cursor's seq.</exception>
    public List<LogRecord> ReadLog(LogCursor cursor, int maxBytes = 4 << 20) => _log.ReadFrom(cursor, maxBytes);

    /// <summary>
    /// A copy of the durable checkpoint, consistent while commits and checkpoints go on (a
    /// replica's bootstrap): until it is disposed its pages are not reused and the log after
    /// its seq is kept. Checkpoint first (<see cref="CheckpointAsync"/>) for a recent one.
    /// </summary>
    public CheckpointCopy OpenCheckpointCopy() => new(_file, _checkpointer.HoldDurable());

    /// <summary>Bytes of log kept on disk from the segment holding <paramref name="seq"/> on (what a reader there holds).</summary>
    public long LogBytesFrom(long seq) => _log.BytesFrom(seq);

    /// <summary>The first seq the log still holds.</summary>
    public long LogStartSeq => _log.StartSeq;

    /// <summary>
    /// Why the engine takes no commits but replicated ones (a replica: "read-only replica of
    /// ..."), or null when it takes them. While set, <see cref="CommitAsync"/> throws
    /// <see cref="ReadOnlyEngineException"/>.
    /// </summary>
    public string? ReadOnlyReason
    {
        get => Volatile.Read(ref _readOnlyReason);
        set => Volatile.Write(ref _readOnlyReason, value);
    }

    /// <summary>
    /// Commits a batch exactly as another engine's log holds it (a replica applying its
    /// primary's log): the same writes, op boundaries and chain records, at the same seqs.
    /// Records must come in seq order with no gap; commits may be in flight together (the
    /// group committer keeps their order), so a replica catching up shares fsyncs.
    /// </summary>
    /// <exception cref="ReplicationGapException">The record does not start where the last one ended.</exception>
    /// <exception cref="CorruptDataException">The payload is malformed.</exception>
    public ValueTask<CommitResult> CommitReplicatedAsync(LogRecord record, CancellationToken cancellationToken = default)
    {
        lock (_replicaGate)
        {
            var next = _replicaNext >= 0 ? _replicaNext : LastSeq + 1;
            if (record.FirstSeq != next)
            {
                throw new ReplicationGapException(next, record.FirstSeq);
            }

            var batch = WriteBatch.FromPayload(record.Payload.Span);
            if (batch.OpCount != record.OpCount)
            {
                batch.Dispose();
                throw new CorruptDataException($"a record of {record.OpCount} ops holds {batch.OpCount}", "replicated record", record.FirstSeq);
            }

            _replicaNext = next + record.OpCount;
            return CommitCopyAsync(batch, record.FirstSeq, cancellationToken);
        }
    }

    private async ValueTask<CommitResult> CommitCopyAsync(WriteBatch batch, long expectedFirstSeq, CancellationToken cancellationToken)
    {
        using (batch)
        {
            try
            {
                var result = await _committer.CommitAsync(batch, _options.Durability, cancellationToken).ConfigureAwait(false);
                if (result.FirstSeq != expectedFirstSeq)
                {
                    throw new ReplicationGapException(expectedFirstSeq, result.FirstSeq);
                }

                return result;
            }
            catch
            {
                lock (_replicaGate)
                {
                    _replicaNext = -1;   // what follows is read again from where the engine stands
                }

                throw;
            }
        }
    }
}
