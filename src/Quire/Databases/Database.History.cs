using Quire.OpLog;

namespace Quire.Databases;

/// <summary>The change feed over the op log: nedb v2's <c>tip</c>, <c>since</c> and <c>status</c>.</summary>
public sealed partial class Database
{
    private readonly Lock _logStatusGate = new();
    private OpLogStatus? _logStatus;

    /// <summary>
    /// The ops after <paramref name="afterSeq"/> (null or -1: from the first op, seq 0 included), in
    /// seq order, at most <paramref name="limit"/> (0: <see cref="SinceBatch.MaxLimit"/>):
    /// puts, deletes, links and files alike. Exact from the oldest op the log keeps.
    /// </summary>
    /// <exception cref="HistoryGoneException">Ops after the cursor were pruned (past <see cref="DatabaseOptions.OpLogRetention"/>).</exception>
    /// <exception cref="ArgumentOutOfRangeException">A cursor below -1, a negative limit, or a limit over <see cref="SinceBatch.MaxLimit"/>.</exception>
    public SinceBatch Since(long? afterSeq, int limit = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(afterSeq ?? -1, -1, nameof(afterSeq));   // -1: before the first, as null
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(limit, SinceBatch.MaxLimit);
        using var snapshot = Engine.OpenSnapshot();
        return OpLogReader.Since(snapshot, afterSeq ?? -1, limit == 0 ? SinceBatch.MaxLimit : limit);
    }

    /// <summary>
    /// <see cref="Since"/> for servers: each op's node is written as JSON straight from its record
    /// and handed to <paramref name="sink"/> (valid during the call), with no <see cref="OpNode"/>
    /// built; a page of 10,000 ops costs a few milliseconds.
    /// </summary>
    /// <exception cref="HistoryGoneException">Ops after the cursor were pruned (past <see cref="DatabaseOptions.OpLogRetention"/>).</exception>
    /// <exception cref="ArgumentOutOfRangeException">A cursor below -1, a negative limit, or a limit over <see cref="SinceBatch.MaxLimit"/>.</exception>
    public SincePage SinceJson(long? afterSeq, int limit, OpNodeSink sink)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(afterSeq ?? -1, -1, nameof(afterSeq));
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(limit, SinceBatch.MaxLimit);
        ArgumentNullException.ThrowIfNull(sink);
        using var snapshot = Engine.OpenSnapshot();
        return OpLogReader.SinceJson(snapshot, afterSeq ?? -1, limit == 0 ? SinceBatch.MaxLimit : limit, sink);
    }

    /// <summary>The latest op (of <paramref name="collection"/>, when given: its latest put or delete), or null when there is none.</summary>
    /// <remarks>A collection's tip is found by reading the op log back from its newest op.</remarks>
    public OpNode? Tip(string? collection = null)
    {
        using var snapshot = Engine.OpenSnapshot();
        return OpLogReader.Tip(snapshot, collection);
    }

    /// <summary>
    /// Every op after <paramref name="afterSeq"/> (null: from the first), in seq order, then
    /// each new one as it is committed, until cancelled: the history drained page by page,
    /// then live, with no gap and no op twice at the hand-off (both read the same op log from
    /// a cursor). A reader slower than the writers catches up from the log, holding one page
    /// at most.
    /// </summary>
    /// <exception cref="HistoryGoneException">Ops after the cursor were pruned, or were pruned while the reader fell behind.</exception>
    public async IAsyncEnumerable<OpNode> ChangesAsync(long? afterSeq, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var cursor = afterSeq;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var page = Since(cursor);
            foreach (var node in page.Nodes)
            {
                yield return node;
            }

            cursor = page.Nodes.Count > 0 ? page.ToSeq : cursor;
            if (!page.HasMore)
            {
                await WhenChangedAsync(page.HeadSeq, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Completes once the database's seq passes <paramref name="seenSeq"/> (a commit was
    /// published after it), or after a second at the latest: for readers that follow the
    /// change feed with <see cref="Since"/>.
    /// </summary>
    public Task WhenChangedAsync(long seenSeq, CancellationToken cancellationToken = default) =>
        _changes.WaitAsync(() => Engine.LastSeq > seenSeq, ChangePollInterval, cancellationToken);

    /// <summary>How long a change-feed reader waits without a commit before it looks again anyway.</summary>
    private static readonly TimeSpan ChangePollInterval = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The oldest seq a query can read <c>AS OF</c> (every seq from it to <see cref="Seq"/>),
    /// or null when the database keeps no history (<see cref="DatabaseOptions.KeepHistory"/> off).
    /// </summary>
    public long? HistoryFloor => Engine.HistoryFloor is { } floor ? Math.Max(floor, 0) : null;

    /// <summary>
    /// Applies the history's retention now (<see cref="DatabaseOptions.HistoryRetention"/>,
    /// <see cref="DatabaseOptions.HistoryRetentionAge"/>), as the background loop does: when the
    /// floor can move by an eighth of the retention, it moves, and the past versions only seqs
    /// before it needed are erased.
    /// </summary>
    public Task ReclaimHistoryAsync(CancellationToken cancellationToken = default) => _history.ReclaimDueAsync(cancellationToken);

    /// <summary>The range of ops the change feed covers.</summary>
    public OpLogStatus LogStatus()
    {
        using var snapshot = Engine.OpenSnapshot();
        lock (_logStatusGate)
        {
            // Counted on from the last answer: a poller of a large op log reads only what is new.
            _logStatus = OpLogReader.Status(snapshot, _logStatus);
            return _logStatus;
        }
    }
}
