namespace Quire.Indexes;

/// <summary>The names of index kinds, as the API and the stored schema spell them.</summary>
public static class IndexKinds
{
    /// <summary>The kind a name means: <c>eq</c>, <c>sorted</c> (alias <c>ordered</c>), <c>tags</c>, <c>search</c>.</summary>
    /// <exception cref="InvalidIndexException">The name is not a kind.</exception>
    public static IndexKind Parse(string name) => name.ToLowerInvariant() switch
    {
        "eq" => IndexKind.Eq,
        "sorted" or "ordered" => IndexKind.Sorted,
        "tags" => IndexKind.Tags,
        "search" => IndexKind.Search,
        _ => throw new InvalidIndexException($"unknown index kind: '{name}' (expected eq, sorted, tags or search)"),
    };

    /// <summary>The name of a kind.</summary>
    public static string Name(IndexKind kind) => kind switch
    {
        IndexKind.Eq => "eq",
        IndexKind.Sorted => "sorted",
        IndexKind.Tags => "tags",
        IndexKind.Search => "search",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };
}
