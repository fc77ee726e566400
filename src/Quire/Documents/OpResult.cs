namespace Quire.Documents;

/// <summary>What one op of a committed batch did.</summary>
/// <param name="Kind">The op's kind.</param>
/// <param name="Id">The document id (a link's source for a link).</param>
/// <param name="Seq">The seq the op took (for a replayed op, the seq it took the first time).</param>
/// <param name="Replayed">True when the op's idempotency key was used before, so it was not applied again.</param>
public sealed record OpResult(OpKind Kind, string Id, long Seq, bool Replayed = false)
{
    /// <summary>A put's document as stored by this op (null for other ops and replayed ones).</summary>
    internal byte[]? Stored { get; init; }

    /// <summary>
    /// For a put this batch applied: the document as a read at <see cref="Seq"/> returns
    /// it (JSON with <c>_id</c> first and <c>_seq</c> last), built from what the op wrote,
    /// so a later write to the document cannot show in it. Null for other ops and for
    /// replayed ones.
    /// </summary>
    public byte[]? Document => Stored is { } stored ? DocumentCodec.WithSeq(stored, Seq) : null;
}
