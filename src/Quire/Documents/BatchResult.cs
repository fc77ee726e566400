namespace Quire.Documents;

/// <summary>A committed batch: one result per op, in order, each with its own seq.</summary>
/// <param name="Results">The ops' results.</param>
/// <param name="Seq">The seq of the last op.</param>
public sealed record BatchResult(IReadOnlyList<OpResult> Results, long Seq);
