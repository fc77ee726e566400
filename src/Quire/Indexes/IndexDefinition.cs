namespace Quire.Indexes;

/// <summary>
/// An index of a collection. Every write sequenced after its definition maintains it; documents written before are added by a background build,
/// and queries use it once <see cref="Ready"/>.
/// </summary>
/// <param name="Id">Its number within the collection (documents are 0), part of every entry's key.</param>
/// <param name="Field">The field, a dotted path for nested fields.</param>
/// <param name="Kind">What it serves.</param>
/// <param name="Since">The database's seq when it was defined (the definition's own op comes after).</param>
/// <param name="Ready">True once every document is in it.</param>
public sealed record IndexDefinition(uint Id, string Field, IndexKind Kind, long Since, bool Ready);
