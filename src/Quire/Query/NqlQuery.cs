namespace Quire.Query;

/// <summary>A comparison operator of a WHERE condition.</summary>
public enum NqlOperator
{
    /// <summary><c>=</c></summary>
    Equal,

    /// <summary><c>!=</c></summary>
    NotEqual,

    /// <summary><c>&lt;</c></summary>
    Less,

    /// <summary><c>&lt;=</c></summary>
    LessOrEqual,

    /// <summary><c>&gt;</c></summary>
    Greater,

    /// <summary><c>&gt;=</c></summary>
    GreaterOrEqual,
}

/// <summary>The kind of a literal value.</summary>
public enum NqlValueKind
{
    /// <summary>A number, kept as its text so it compares exactly.</summary>
    Number,

    /// <summary>A quoted string or a bare word.</summary>
    String,

    /// <summary><c>true</c> or <c>false</c>.</summary>
    Boolean,

    /// <summary><c>null</c>.</summary>
    Null,
}

/// <summary>A literal of a query.</summary>
/// <param name="Kind">Its kind.</param>
/// <param name="Text">The number's text, the string, or <c>true</c>/<c>false</c>/<c>null</c>.</param>
public sealed record NqlValue(NqlValueKind Kind, string Text);

/// <summary>One condition of WHERE: <c>field op value</c>.</summary>
public sealed record NqlCondition(string Field, NqlOperator Operator, NqlValue Value);

/// <summary>An aggregate of GROUP BY.</summary>
public enum NqlAggregate
{
    /// <summary>Rows per group (the default).</summary>
    Count,

    /// <summary>Sum of a numeric field.</summary>
    Sum,

    /// <summary>Average of a numeric field.</summary>
    Avg,

    /// <summary>Smallest value of a field.</summary>
    Min,

    /// <summary>Largest value of a field.</summary>
    Max,
}

/// <summary>GROUP BY <see cref="Field"/> with an aggregate over <see cref="AggregateField"/> (none for COUNT).</summary>
public sealed record NqlGroupBy(string Field, NqlAggregate Aggregate, string? AggregateField);

/// <summary>A parsed query (see <see cref="NqlParser"/>); clauses it lacks are null or empty.</summary>
public sealed record NqlQuery
{
    /// <summary>The collection queried.</summary>
    public required string Collection { get; init; }

    /// <summary>WHERE conditions, all of which must hold.</summary>
    public IReadOnlyList<NqlCondition> Where { get; init; } = [];

    /// <summary>SEARCH text, or null.</summary>
    public string? Search { get; init; }

    /// <summary>ORDER BY field, or null.</summary>
    public string? OrderBy { get; init; }

    /// <summary>True for ORDER BY ... DESC.</summary>
    public bool Descending { get; init; }

    /// <summary>TRAVERSE relation, or null.</summary>
    public string? Traverse { get; init; }

    /// <summary>LIMIT, or null.</summary>
    public long? Limit { get; init; }

    /// <summary><c>AS OF n</c>: read the database as it was right after op <c>n</c>, or null for now.</summary>
    public long? AsOf { get; init; }

    /// <summary><c>VALID AS OF "date"</c>: only documents valid then (<c>_valid_from &lt;= date &lt; _valid_to</c>; a document without valid times always is), or null.</summary>
    public string? ValidAsOf { get; init; }

    /// <summary><c>TRACE caused_by [REVERSE]</c>: replace the rows with their causes (or, reversed, their effects), or null.</summary>
    public NqlTrace? Trace { get; init; }

    /// <summary>GROUP BY, or null.</summary>
    public NqlGroupBy? GroupBy { get; init; }

    /// <summary>True when the text began with EXPLAIN: the plan is wanted, not the rows.</summary>
    public bool Explain { get; init; }
}

/// <summary><c>TRACE caused_by [REVERSE]</c>: follow <c>_caused_by</c> back to causes, or forward to effects.</summary>
/// <param name="Reverse">True for effects: the documents whose writes name the rows' versions as a cause.</param>
public sealed record NqlTrace(bool Reverse);
