namespace Quire.Indexes;

/// <summary>What an index serves.</summary>
public enum IndexKind
{
    /// <summary>Equality on a field's value.</summary>
    Eq,

    /// <summary>Ranges and ORDER BY on a field's value (the entries are in value order).</summary>
    Sorted,

    /// <summary>One entry per element of an array field: "has tag x".</summary>
    Tags,

    /// <summary>Full text: the terms of a string field (see <see cref="TextAnalyzer"/>).</summary>
    Search,
}
