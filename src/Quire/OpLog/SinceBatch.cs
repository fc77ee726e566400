namespace Quire.OpLog;

/// <summary>
/// One page of the change feed (nedb v2's <c>since</c>): the ops after a cursor, in seq order.
/// Pass <see cref="ToSeq"/> as the next cursor; <see cref="HasMore"/> says whether more ops
/// follow it now.
/// </summary>
/// <param name="Nodes">The ops with seq greater than <see cref="FromSeq"/>, ascending, at most the page's limit.</param>
/// <param name="FromSeq">The cursor the page started after (-1: from the first op).</param>
/// <param name="ToSeq">The last node's seq (the cursor when the page is empty): the next cursor.</param>
/// <param name="HeadSeq">The database's last seq when the page was read.</param>
/// <param name="HasMore">True when ops after <see cref="ToSeq"/> exist.</param>
public sealed record SinceBatch(IReadOnlyList<OpNode> Nodes, long FromSeq, long ToSeq, long HeadSeq, bool HasMore)
{
    /// <summary>The most ops a page holds, and the page size when none is given.</summary>
    public const int MaxLimit = 10_000;
}
