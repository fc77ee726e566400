using System.Buffers.Binary;
using Quire.Documents.Writes;
using Quire.Indexes;
using Quire.Keys;
using Quire.Storage.Engine;

namespace Quire.Documents;

/// <summary>
/// One attempt at a batch: the write batch computed against the write view, with the
/// preconditions pinning what it read, the ops it skipped as replays of an idempotency
/// key, and the nonce it takes. Each op also carries its op-log record and digest; the
/// engine links them into the hash chain as it applies them. Runs on the caller's thread.
/// </summary>
internal sealed class BatchPlan
{
    private readonly List<int> _applied = [];
    private readonly Dictionary<int, OpResult> _replayed = [];
    private readonly List<int> _checks = [];
    private readonly List<int> _checksFailingInView = [];

    private BatchPlan()
    {
    }

    public PendingPreconditions Preconditions { get; } = new();

    /// <summary>The nonce the batch takes, or null without a client.</summary>
    public long? Nonce { get; private set; }

    /// <summary>The highest seq an idempotency replay refers to, or -1.</summary>
    public long HighestReplayedSeq => _replayed.Count == 0 ? -1 : _replayed.Values.Max(r => r.Seq);

    /// <summary>How many ops the write batch holds (replays and checks are not in it).</summary>
    public int AppliedCount => _applied.Count;

    /// <summary>The check ops the write view already fails (decisive when nothing else is written).</summary>
    public IReadOnlyList<int> ChecksFailingInView => _checksFailingInView;

    /// <summary>
    /// Fills <paramref name="batch"/> with <paramref name="ops"/> as the write view stands:
    /// per op, the nonce (on the first) and idempotency key, the link or the document with
    /// its index entries and expiry entry, and the op-log entry; each concern is written by
    /// its own writer (<c>Documents/Writes</c>).
    /// </summary>
    public static BatchPlan Build(StorageEngine engine, SchemaCache schemas, Func<string, long> searchHome, IReadOnlyList<PreparedOp> ops, BatchOptions options, long nowMs, WriteBatch batch)
    {
        var plan = new BatchPlan();
        using var view = engine.OpenWriteView();
        var documents = new DocumentWrites(view, schemas, plan.Preconditions, batch, new IndexWrites(searchHome, plan.Preconditions, batch), nowMs);
        var opLog = new OpLogWrites();
        var key = new KeyBuilder();
        try
        {
            var nonceWrite = plan.TakeNonce(view, options, batch);
            for (var i = 0; i < ops.Count; i++)
            {
                var prepared = ops[i];
                if (prepared.Op.Kind == OpKind.Check)
                {
                    plan._checks.Add(i);
                    if (!documents.Check(i, prepared.Op))
                    {
                        plan._checksFailingInView.Add(i);
                    }

                    continue;
                }

                if (plan.Replays(view, batch, i, prepared))
                {
                    continue;
                }

                var builder = batch.BeginOp();
                if (nonceWrite is { } nonce)
                {
                    builder.Put(nonce.Key, nonce.Value);
                    nonceWrite = null;
                }

                if (prepared.IdemKey is { } idem)
                {
                    builder.Put(idem, []);
                }

                if (prepared.Op.Kind == OpKind.Link)
                {
                    LinkWrites.Write(builder, key, prepared.Op);
                }
                else
                {
                    documents.Write(builder, i, prepared);
                }

                opLog.Write(builder, prepared, options.Client, plan.Nonce, nowMs);
                builder.End();
                plan._applied.Add(i);
            }
        }
        finally
        {
            documents.Dispose();
        }

        return plan;
    }

    /// <summary>True when the op's idempotency key was used before: it is skipped, its result the earlier one; else the key's absence is pinned.</summary>
    private bool Replays(Snapshot view, WriteBatch batch, int index, PreparedOp prepared)
    {
        if (prepared.IdemKey is not { } idemKey)
        {
            return false;
        }

        var op = prepared.Op;
        if (view.TryGetVersioned(idemKey, out var used))
        {
            _replayed[index] = new OpResult(op.Kind, op.Kind == OpKind.Link ? op.From : op.Id, used.Version, Replayed: true);
            return true;
        }

        Preconditions.AddRead(batch, idemKey, WriteBatch.Absent);
        return false;
    }

    /// <summary>The batch's result once committed (or, with nothing to apply, as replayed).</summary>
    public BatchResult Result(IReadOnlyList<PreparedOp> ops, CommitResult? commit, long databaseSeq)
    {
        var results = new OpResult[ops.Count];
        foreach (var (index, result) in _replayed)
        {
            results[index] = result;
        }

        foreach (var index in _checks)
        {
            results[index] = new OpResult(OpKind.Check, ops[index].Op.Id, ops[index].Op.IfSeq!.Value);
        }

        for (var n = 0; n < _applied.Count; n++)
        {
            var prepared = ops[_applied[n]];
            var op = prepared.Op;
            results[_applied[n]] = new OpResult(op.Kind, op.Kind == OpKind.Link ? op.From : op.Id, commit!.Value.FirstSeq + n) { Stored = prepared.Stored };
        }

        return new BatchResult(results, commit?.LastSeq ?? databaseSeq, commit is null ? null : Nonce);
    }

    private (byte[] Key, byte[] Value)? TakeNonce(Snapshot view, BatchOptions options, WriteBatch batch)
    {
        if (options.Client is not { } client)
        {
            if (options.Nonce is not null)
            {
                throw new InvalidOpException("a nonce needs a client");
            }

            return null;
        }

        var nonceKey = Keyspace.Client(client);
        long? last = null;
        if (view.TryGetVersioned(nonceKey, out var stored) && stored.Value is { } bytes)
        {
            last = BinaryPrimitives.ReadInt64BigEndian(bytes);
        }

        // Nonces only grow, so one at or below the last that the view holds is a replay for good.
        if (options.Nonce is { } given && last is { } previous && given <= previous)
        {
            throw new NonceReplayException(client, given, previous);
        }

        Nonce = options.Nonce ?? (last ?? 0) + 1;
        Preconditions.AddRead(batch, nonceKey, last is null ? WriteBatch.Absent : stored.Version);
        var value = new byte[8];
        BinaryPrimitives.WriteInt64BigEndian(value, Nonce.Value);
        return (nonceKey, value);
    }
}
