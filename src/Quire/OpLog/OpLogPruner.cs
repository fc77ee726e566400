using Quire.Keys;
using Quire.Storage.Engine;

namespace Quire.OpLog;

/// <summary>
/// Keeps the op log to its retention: deletes the records of ops more than
/// <see cref="Retention"/> seqs old, oldest first, in commits of at most
/// <see cref="DeletesPerCommit"/>. The chain stays verifiable: the oldest retained
/// record holds the hash before it. Each commit also records the highest seq it pruned
/// (<see cref="PrunedToKey"/>), so the change feed can tell a cursor whose next ops were
/// pruned from one followed only by seqs that never had a record (internal commits).
/// </summary>
internal sealed class OpLogPruner(StorageEngine engine, long retention)
{
    public const int DeletesPerCommit = 4096;

    /// <summary>The key holding the highest seq whose record was pruned (8 bytes, big-endian).</summary>
    public static readonly byte[] PrunedToKey = new KeyBuilder().Byte(Keyspace.Meta).String("oplog-pruned-to").ToArray();

    public long Retention { get; } = retention;

    /// <summary>
    /// What the maintenance timer runs: prunes only once the records past retention are a full
    /// commit's worth (or a hundredth of the retention, when that is less), so a database
    /// written steadily does not take a pruning commit after every few writes (each one more
    /// log record for replicas and the archive). The op log keeps at least its retention.
    /// </summary>
    public Task<int> PruneDueAsync(CancellationToken cancellationToken)
    {
        var excess = engine.LastSeq - Retention + 1 - NextToPrune();
        return excess >= Math.Max(1, Math.Min(DeletesPerCommit, Retention / 100)) ? PruneAsync(cancellationToken) : Task.FromResult(0);
    }

    /// <summary>Deletes what is past retention now; returns how many records went.</summary>
    public async Task<int> PruneAsync(CancellationToken cancellationToken)
    {
        var deleted = 0;
        var key = new KeyBuilder();

        // Fixed at the start: the pruner's own commits take seqs too, and must not move it.
        var keepFrom = engine.LastSeq - Retention + 1;
        if (keepFrom <= 0)
        {
            return deleted;
        }

        while (true)
        {
            // From past what was pruned last: the records before it are tombstones, which a
            // scan from the log's start would walk through every time.
            var next = NextToPrune();
            if (next >= keepFrom)
            {
                return deleted;
            }

            var from = next > 0 ? new KeyBuilder().Byte(Keyspace.OpLog).Int64(next).ToArray() : Keyspace.OpLogPrefix;
            var old = engine.Scan(from, key.Clear().Byte(Keyspace.OpLog).Int64(keepFrom).Span, limit: DeletesPerCommit);
            if (old.Count == 0)
            {
                return deleted;
            }

            using var batch = new WriteBatch();
            var op = batch.BeginOp();
            foreach (var entry in old)
            {
                op.Delete(entry.Key);
            }

            var prunedTo = new byte[8];
            System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(prunedTo, new KeyReader(old[^1].Key, 1).Int64());
            op.Put(PrunedToKey, prunedTo);
            op.End();
            await engine.CommitAsync(batch, cancellationToken: cancellationToken).ConfigureAwait(false);
            deleted += old.Count;
        }
    }

    /// <summary>The first seq whose record was not pruned yet (0: none pruned).</summary>
    private long NextToPrune() =>
        engine.Get(PrunedToKey) is { Length: 8 } marker ? System.Buffers.Binary.BinaryPrimitives.ReadInt64BigEndian(marker) + 1 : 0;
}
