using Quire.Indexes;
using Quire.Storage.Engine;

namespace Quire.Documents;

/// <summary>
/// Turns a batch of document ops into one atomic commit. On the caller's thread it reads
/// the latest applied state (the write view), computes each document's stored form and
/// the index entries to remove and add, and pins every version it read with a
/// precondition (<see cref="BatchPlan"/>). The sequencer then checks those against the
/// latest state: if a document, schema, nonce or idempotency key moved meanwhile, the
/// batch is computed again; if only callers' <c>if_seq</c>s failed, it is refused with
/// every failure listed.
/// </summary>
internal sealed class BatchWriter
{
    /// <summary>How often a batch is recomputed because what it read kept moving, before giving up.</summary>
    public const int MaxAttempts = 1000;

    private readonly StorageEngine _engine;
    private readonly SchemaCache _schemas;
    private readonly int _maxDocumentBytes;
    private readonly TimeProvider _clock;
    private readonly Func<string, long> _searchHome;
    private readonly Action? _committed;   // after each commit is published: wakes change-feed readers

    /// <summary>A writer over <paramref name="engine"/>: documents up to <paramref name="maxDocumentBytes"/>, TTLs by <paramref name="clock"/>, search number probes from <paramref name="searchHome"/>; <paramref name="committed"/> runs after each commit is published.</summary>
    public BatchWriter(StorageEngine engine, SchemaCache schemas, int maxDocumentBytes, TimeProvider clock, Func<string, long> searchHome, Action? committed = null)
    {
        _committed = committed;
        _engine = engine;
        _schemas = schemas;
        _maxDocumentBytes = maxDocumentBytes;
        _clock = clock;
        _searchHome = searchHome;
    }

    public async Task<BatchResult> WriteAsync(IReadOnlyList<DocumentOp> ops, BatchOptions options, CancellationToken cancellationToken)
    {
        var prepared = Prepare(ops);
        try
        {
            return await CommitAsync(prepared, options, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            foreach (var op in prepared)
            {
                op.Dispose();
            }
        }
    }

    private async Task<BatchResult> CommitAsync(PreparedOp[] ops, BatchOptions options, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            using var batch = new WriteBatch();
            var plan = BatchPlan.Build(_engine, _schemas, _searchHome, ops, options, _clock.GetUtcNow().ToUnixTimeMilliseconds(), batch);
            if (plan.AppliedCount == 0 && plan.ChecksFailingInView.Count > 0)
            {
                // Nothing to write: the checks are decided against the latest applied state.
                throw new PreconditionFailedException(
                    [.. plan.ChecksFailingInView.Select(i => new PreconditionFailure(i, ops[i].Op.Collection, ops[i].Op.Id, ops[i].Op.IfSeq!.Value, null))], _engine.LastSeq);
            }

            if (plan.AppliedCount == 0)
            {
                // Every op replays an idempotency key. The write view may show the first
                // write before it is durable: answer only once it is published, as its own
                // caller would have been.
                await WaitUntilPublishedAsync(plan.HighestReplayedSeq, cancellationToken).ConfigureAwait(false);
                return plan.Result(ops, null, _engine.LastSeq);
            }

            try
            {
                var commit = await _engine.CommitAsync(batch, cancellationToken: cancellationToken).ConfigureAwait(false);
                _committed?.Invoke();
                return plan.Result(ops, commit, commit.LastSeq);
            }
            catch (KeyPreconditionFailedException ex)
            {
                var failures = plan.Preconditions.Final(ex.Failures);
                if (failures is not null)
                {
                    throw new PreconditionFailedException(failures, _engine.LastSeq);
                }

                if (attempt == MaxAttempts)
                {
                    throw new TimeoutException($"the batch was recomputed {MaxAttempts} times because the documents it reads kept changing");
                }
            }
        }
    }

    private async Task WaitUntilPublishedAsync(long seq, CancellationToken cancellationToken)
    {
        for (var delay = 1; _engine.LastSeq < seq; delay = Math.Min(delay * 2, 50))
        {
            if (_engine.Failure is { } failure)
            {
                throw failure;
            }

            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Checks every op and encodes each put's document, before anything is read.</summary>
    private PreparedOp[] Prepare(IReadOnlyList<DocumentOp> ops)
    {
        var nowMs = _clock.GetUtcNow().ToUnixTimeMilliseconds();
        var prepared = new List<PreparedOp>(ops.Count);
        var idems = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            for (var i = 0; i < ops.Count; i++)
            {
                try
                {
                    prepared.Add(PreparedOp.Prepare(ops[i], _maxDocumentBytes, nowMs));
                    if (ops[i].Idem is { } idem && !idems.Add(idem))
                    {
                        throw new InvalidOpException($"idem '{idem}' appears twice in the batch");
                    }
                }
                catch (ArgumentException ex) when (ops.Count > 1)
                {
                    throw new InvalidOpException(ex is InvalidOpException { OpIndex: null } bad ? bad.Detail : ex.Message, i, ex);
                }
            }

            return [.. prepared];
        }
        catch
        {
            foreach (var op in prepared)
            {
                op.Dispose();
            }

            throw;
        }
    }
}
