using System.Text.Json;
using Quire.Indexes;

namespace Quire.Query;

/// <summary>How a query reads its collection.</summary>
public enum AccessPath
{
    /// <summary>One document by <c>_id</c>.</summary>
    PrimaryKey,

    /// <summary>The entries of one value in an eq or tags index (in id order).</summary>
    IndexEquality,

    /// <summary>The entries of one value in a sorted index, plus its array and object entries (which may contain the value).</summary>
    SortedEquality,

    /// <summary>A range of a sorted index, in value order or reversed.</summary>
    SortedRange,

    /// <summary>A whole sorted index in value order or reversed (for ORDER BY).</summary>
    SortedOrder,

    /// <summary>The entries of a search index for the query's first term.</summary>
    SearchIndex,

    /// <summary>The documents whose ids lie in a range (<c>_id &gt; "a"</c>, <c>_id &lt;= "m"</c>), in id order.</summary>
    PrimaryRange,

    /// <summary>Every document of the collection, in id order.</summary>
    FullScan,
}

/// <summary>
/// A query's plan, as <c>EXPLAIN</c> shows it: the access path and its index, the range
/// read, whether the path delivers the order asked for (else the rows are sorted), and
/// the filter applied to every candidate (all of WHERE and SEARCH: an index narrows, the
/// document decides).
/// </summary>
public sealed record QueryPlan
{
    /// <summary>The collection.</summary>
    public required string Collection { get; init; }

    /// <summary>How it is read.</summary>
    public required AccessPath Access { get; init; }

    /// <summary>The index read, or null.</summary>
    public IndexDefinition? Index { get; init; }

    /// <summary>The condition the access path serves (the value looked up, or a range's bounds), or empty.</summary>
    public IReadOnlyList<NqlCondition> Served { get; init; } = [];

    /// <summary>For a sorted range or order plan: the index keys it reads; else null.</summary>
    public KeyRange? Range { get; init; }

    /// <summary>True when the path reads its index from the last entry back.</summary>
    public bool Reverse { get; init; }

    /// <summary>True when the rows must be sorted after reading (ORDER BY, or id order, not given by the path).</summary>
    public bool Sort { get; init; }

    /// <summary>The query.</summary>
    public required NqlQuery Query { get; init; }

    /// <summary>Writes the plan as JSON: <c>{collection, access, index, served, key_range (sorted range and order plans), reverse, sort, filter, order_by, traverse, limit, group_by}</c>.</summary>
    public void WriteTo(Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        writer.WriteString("collection", Collection);
        writer.WriteString("access", Name(Access));
        if (Index is { } index)
        {
            writer.WriteStartObject("index");
            writer.WriteString("field", index.Field);
            writer.WriteString("kind", IndexKinds.Name(index.Kind));
            writer.WriteEndObject();
        }
        else
        {
            writer.WriteNull("index");
        }

        writer.WriteStartArray("served");
        foreach (var condition in Served)
        {
            writer.WriteStringValue(Describe(condition));
        }

        writer.WriteEndArray();
        if (Range is { } range)
        {
            writer.WriteStartObject("key_range");
            writer.WriteString("from", Convert.ToHexStringLower(range.From));
            writer.WriteString("to", Convert.ToHexStringLower(range.To));
            writer.WriteEndObject();
        }

        writer.WriteBoolean("reverse", Reverse);
        writer.WriteBoolean("sort", Sort);
        writer.WriteStartArray("filter");
        foreach (var condition in Query.Where)
        {
            writer.WriteStringValue(Describe(condition));
        }

        if (Query.Search is { } search)
        {
            writer.WriteStringValue($"SEARCH \"{search}\"");
        }

        writer.WriteEndArray();
        WriteNullable(writer, "order_by", Query.OrderBy is null ? null : $"{Query.OrderBy} {(Query.Descending ? "DESC" : "ASC")}");
        WriteNullable(writer, "traverse", Query.Traverse);
        WriteNullable(writer, "trace", Query.Trace is { } trace ? (trace.Reverse ? "caused_by REVERSE" : "caused_by") : null);
        if (Query.AsOf is { } asOf)
        {
            writer.WriteNumber("as_of", asOf);
        }
        else
        {
            writer.WriteNull("as_of");
        }

        WriteNullable(writer, "valid_as_of", Query.ValidAsOf);
        if (Query.Limit is { } limit)
        {
            writer.WriteNumber("limit", limit);
        }
        else
        {
            writer.WriteNull("limit");
        }

        WriteNullable(writer, "group_by", Query.GroupBy is { } g ? $"{g.Field} {g.Aggregate.ToString().ToUpperInvariant()}{(g.AggregateField is null ? "" : " " + g.AggregateField)}" : null);
        writer.WriteEndObject();
    }

    /// <summary>The name EXPLAIN gives an access path.</summary>
    public static string Name(AccessPath access) => access switch
    {
        AccessPath.PrimaryKey => "primary-key",
        AccessPath.IndexEquality => "index-equality",
        AccessPath.SortedEquality => "sorted-equality",
        AccessPath.SortedRange => "sorted-range",
        AccessPath.SortedOrder => "sorted-order",
        AccessPath.SearchIndex => "search-index",
        AccessPath.PrimaryRange => "primary-range",
        _ => "full-scan",
    };

    private static string Describe(NqlCondition c)
    {
        var op = c.Operator switch
        {
            NqlOperator.Equal => "=",
            NqlOperator.NotEqual => "!=",
            NqlOperator.Less => "<",
            NqlOperator.LessOrEqual => "<=",
            NqlOperator.Greater => ">",
            _ => ">=",
        };
        var value = c.Value.Kind == NqlValueKind.String ? $"\"{c.Value.Text}\"" : c.Value.Text;
        return $"{c.Field} {op} {value}";
    }

    private static void WriteNullable(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is null)
        {
            writer.WriteNull(name);
        }
        else
        {
            writer.WriteString(name, value);
        }
    }
}
