namespace Quire.OpLog;

/// <summary>
/// What the change feed covers (nedb v2's <c>status</c>). Quire has no warm-up scan: the op
/// log is in the database, so <c>since</c> is exact from <see cref="OldestSeq"/> at once.
/// </summary>
/// <param name="TipSeq">The database's last seq.</param>
/// <param name="OldestSeq">The oldest op the log keeps (0 when it keeps none).</param>
/// <param name="NewestSeq">The newest op the log keeps (0 when it keeps none).</param>
/// <param name="Count">How many ops it keeps.</param>
public sealed record OpLogStatus(long TipSeq, long OldestSeq, long NewestSeq, long Count);
