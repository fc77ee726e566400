using Quire.Indexes;

namespace Quire.Query;

/// <summary>
/// Picks a query's access path from the collection's ready indexes, best first: the
/// primary key (<c>_id = "x"</c>); an eq or tags index for <c>f = v</c>; a sorted index
/// for <c>f = v</c>; a sorted index over the ORDER BY field when WHERE bounds that field
/// (the walk gives the order and stops at LIMIT); a search index for SEARCH; a sorted
/// range on another field; a sorted index walk for ORDER BY alone; a range of ids
/// (<c>_id &gt; "x"</c>); else a full scan.
/// </summary>
internal static class QueryPlanner
{
    public static QueryPlan Plan(NqlQuery query, CollectionSchema schema)
    {
        var ready = schema.Indexes.Where(i => i.Ready && i.Field != "_seq").ToList();
        var idOrder = query.OrderBy is null;
        foreach (var condition in query.Where)
        {
            if (condition is { Field: "_id", Operator: NqlOperator.Equal, Value.Kind: NqlValueKind.String })
            {
                return Plan(query, AccessPath.PrimaryKey, null, [condition], sort: false);
            }
        }

        foreach (var condition in query.Where.Where(c => c.Operator == NqlOperator.Equal && c.Value.Kind != NqlValueKind.Null))
        {
            if ((Find(ready, condition.Field, IndexKind.Eq) ?? Find(ready, condition.Field, IndexKind.Tags)) is { } index)
            {
                return Plan(query, AccessPath.IndexEquality, index, [condition], sort: !idOrder);
            }
        }

        foreach (var condition in query.Where.Where(c => c.Operator == NqlOperator.Equal && c.Value.Kind != NqlValueKind.Null))
        {
            if (Find(ready, condition.Field, IndexKind.Sorted) is { } index)
            {
                return Plan(query, AccessPath.SortedEquality, index, [condition], sort: !idOrder);
            }
        }

        if (query.OrderBy is { } orderField && Find(ready, orderField, IndexKind.Sorted) is { } orderIndex && Bounds(query, orderField) is { Count: > 0 } orderBounds)
        {
            return Plan(query, AccessPath.SortedRange, orderIndex, orderBounds, sort: false, reverse: query.Descending);
        }

        // With one search index its entries are the whole of SEARCH; with several, a document may match across fields.
        if (query.Search is not null && ready.Count(i => i.Kind == IndexKind.Search) == 1)
        {
            // Entries name documents by number, not id: rows are sorted afterwards.
            return Plan(query, AccessPath.SearchIndex, ready.First(i => i.Kind == IndexKind.Search), [], sort: true);
        }

        foreach (var condition in query.Where)
        {
            if (Find(ready, condition.Field, IndexKind.Sorted) is { } index && Bounds(query, condition.Field) is { Count: > 0 } bounds)
            {
                // A range gives value order: rows are sorted afterwards, by id or by the ORDER BY field.
                return Plan(query, AccessPath.SortedRange, index, bounds, sort: true);
            }
        }

        if (query.OrderBy is { } field && Find(ready, field, IndexKind.Sorted) is { } sorted)
        {
            return Plan(query, AccessPath.SortedOrder, sorted, [], sort: false, reverse: query.Descending);
        }

        if (Bounds(query, "_id") is { Count: > 0 } ids && ids[0].Value.Kind == NqlValueKind.String)
        {
            // Paging by id (an export's "_id > last LIMIT n"): read from the bound, not from the start.
            return Plan(query, AccessPath.PrimaryRange, null, ids, sort: !idOrder);
        }

        return Plan(query, AccessPath.FullScan, null, [], sort: !idOrder);
    }

    /// <summary>The range conditions on <paramref name="field"/> that an index range can serve: all of one type (numbers or strings).</summary>
    private static List<NqlCondition> Bounds(NqlQuery query, string field)
    {
        var ranges = query.Where
            .Where(c => c.Field == field && c.Operator is NqlOperator.Less or NqlOperator.LessOrEqual or NqlOperator.Greater or NqlOperator.GreaterOrEqual)
            .Where(c => c.Value.Kind is NqlValueKind.Number or NqlValueKind.String)
            .ToList();
        return ranges.Count > 0 && ranges.All(c => c.Value.Kind == ranges[0].Value.Kind) ? ranges : [];
    }

    private static IndexDefinition? Find(List<IndexDefinition> ready, string field, IndexKind kind) =>
        ready.FirstOrDefault(i => i.Field == field && i.Kind == kind);

    private static QueryPlan Plan(NqlQuery query, AccessPath access, IndexDefinition? index, IReadOnlyList<NqlCondition> served, bool sort, bool reverse = false) =>
        new()
        {
            Collection = query.Collection,
            Access = access,
            Index = index,
            Served = served,
            Range = access switch
            {
                AccessPath.SortedRange or AccessPath.SortedOrder => KeyRange.Of(query.Collection, index!, access, served),
                AccessPath.PrimaryRange => KeyRange.OfIds(query.Collection, served),
                _ => null,
            },
            Sort = sort,
            Reverse = reverse,
            Query = query,
        };
}
