namespace Quire.Documents;

/// <summary>An <c>if_seq</c> that did not hold.</summary>
/// <param name="Index">The op's position in the batch.</param>
/// <param name="Collection">The op's collection.</param>
/// <param name="Id">The op's document id.</param>
/// <param name="Expected">The version required, or -1 for "must not exist".</param>
/// <param name="Actual">The document's version (a deleted document's too), or null when it was never written.</param>
public sealed record PreconditionFailure(int Index, string Collection, string Id, long Expected, long? Actual);
