namespace Quire.Documents;

/// <summary>What one op of a committed batch did.</summary>
/// <param name="Kind">The op's kind.</param>
/// <param name="Id">The document id (a link's source for a link).</param>
/// <param name="Seq">The seq the op took.</param>
public sealed record OpResult(OpKind Kind, string Id, long Seq);
