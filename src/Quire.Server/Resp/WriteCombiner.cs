using Quire.Documents;
using Quire.Server.Service;

namespace Quire.Server.Resp;

/// <summary>
/// Commits a pipeline's consecutive blind writes (SET, MSET, SETEX, ...) as one batch: one
/// commit, one fsync, for what Redis would write and fsync once per event-loop pass. Each
/// command still gets its own reply. When the batch fails for one command's sake (a value
/// over the size limit, say), each command is committed alone instead, so the others go in
/// and each gets its own answer; a failure of the database (a full queue, storage) is every
/// command's answer.
/// </summary>
internal sealed class WriteCombiner(RespSession session, Microsoft.Extensions.Logging.ILogger logger)
{
    private readonly List<DocumentOp> _ops = [];
    private readonly List<BlindWrite> _writes = [];

    // The commit of the batch being gathered, known once it is flushed.
    private TaskCompletionSource<Task<Exception?>> _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Commands added and not yet flushed.</summary>
    public int Count => _writes.Count;

    /// <summary>Adds a blind write to the batch being gathered; the reply completes once the batch commits.</summary>
    public ValueTask<RespReply> Add(BlindWrite write)
    {
        if (write.Ops.Count == 0)
        {
            return new ValueTask<RespReply>(write.Reply);
        }

        _ops.AddRange(write.Ops);
        _writes.Add(write);
        return ReplyAsync(write);
    }

    /// <summary>Starts committing what was gathered; the replies of <see cref="Add"/> follow it.</summary>
    public void Flush(CancellationToken cancellationToken)
    {
        if (_writes.Count == 0)
        {
            return;
        }

        _gate.TrySetResult(CommitAsync([.. _ops], cancellationToken));
        _ops.Clear();
        _writes.Clear();
        _gate = new TaskCompletionSource<Task<Exception?>>(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private async ValueTask<RespReply> ReplyAsync(BlindWrite write)
    {
        var commit = await _gate.Task.ConfigureAwait(false);
        var failure = await commit.ConfigureAwait(false);
        if (failure is null)
        {
            return write.Reply;
        }

        if (ServiceErrors.Classify(failure) is { Kind: ServiceErrorKind.BadInput or ServiceErrorKind.TooLarge })
        {
            // One command's fault, most likely: this command alone.
            var alone = await CommitAsync(write.Ops, CancellationToken.None).ConfigureAwait(false);
            return alone is null ? write.Reply : ErrorOf(alone);
        }

        return ErrorOf(failure);
    }

    private async Task<Exception?> CommitAsync(IReadOnlyList<DocumentOp> ops, CancellationToken cancellationToken)
    {
        try
        {
            var db = await session.DatabaseAsync(cancellationToken).ConfigureAwait(false);
            await RedisStore.CommitAsync(session, db, ops, cancellationToken).ConfigureAwait(false);
            return null;
        }
        catch (Exception ex)
        {
            return ex;
        }
    }

    private RespReply ErrorOf(Exception failure) => RespCommands.ErrorOf(failure, "write", logger);
}
