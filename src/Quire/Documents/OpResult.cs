namespace Quire.Documents;

/// <summary>What one op of a committed batch did.</summary>
/// <param name="Kind">The op's kind.</param>
/// <param name="Id">The document id (a link's source for a link).</param>
/// <param name="Seq">The seq the op took (for a replayed op, the seq it took the first time).</param>
/// <param name="Replayed">True when the op's idempotency key was used before, so it was not applied again.</param>
public sealed record OpResult(OpKind Kind, string Id, long Seq, bool Replayed = false);
