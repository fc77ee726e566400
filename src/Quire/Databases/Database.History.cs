using Quire.OpLog;

namespace Quire.Databases;

/// <summary>The change feed over the op log: nedb v2's <c>tip</c>, <c>since</c> and <c>status</c>.</summary>
public sealed partial class Database
{
    /// <summary>
    /// The ops after <paramref name="afterSeq"/> (null: from the first op, seq 0 included), in
    /// seq order, at most <paramref name="limit"/> (0: <see cref="SinceBatch.MaxLimit"/>):
    /// puts, deletes, links and files alike. Exact from the oldest op the log keeps.
    /// </summary>
    /// <exception cref="HistoryGoneException">Ops after the cursor were pruned (past <see cref="DatabaseOptions.OpLogRetention"/>).</exception>
    /// <exception cref="ArgumentOutOfRangeException">A negative cursor or limit, or a limit over <see cref="SinceBatch.MaxLimit"/>.</exception>
    public SinceBatch Since(long? afterSeq, int limit = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(afterSeq ?? 0, nameof(afterSeq));
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(limit, SinceBatch.MaxLimit);
        using var snapshot = Engine.OpenSnapshot();
        return OpLogReader.Since(snapshot, afterSeq ?? -1, limit == 0 ? SinceBatch.MaxLimit : limit);
    }

    /// <summary>The latest op (of <paramref name="collection"/>, when given: its latest put or delete), or null when there is none.</summary>
    /// <remarks>A collection's tip is found by reading the op log back from its newest op.</remarks>
    public OpNode? Tip(string? collection = null)
    {
        using var snapshot = Engine.OpenSnapshot();
        return OpLogReader.Tip(snapshot, collection);
    }

    /// <summary>The range of ops the change feed covers.</summary>
    public OpLogStatus LogStatus()
    {
        using var snapshot = Engine.OpenSnapshot();
        return OpLogReader.Status(snapshot);
    }
}
