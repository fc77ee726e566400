namespace Quire.Documents;

/// <summary>A committed batch: one result per op, in order, each with its own seq.</summary>
/// <param name="Results">The ops' results.</param>
/// <param name="Seq">The seq of the last op applied (the database's seq when every op was a replay).</param>
/// <param name="Nonce">The client's nonce the batch used (given or assigned), or null without a client.</param>
public sealed record BatchResult(IReadOnlyList<OpResult> Results, long Seq, long? Nonce = null);
