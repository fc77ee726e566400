using Quire.Documents;
using Quire.Indexes;
using Quire.Keys;
using Quire.Storage.Engine;

namespace Quire.Query;

/// <summary>
/// Runs a plan over one snapshot, streaming: candidates come from the access path, each
/// is read and checked against every condition, then ORDER BY (a sort only when the path
/// does not give the order), TRAVERSE, LIMIT (which stops the reading when nothing needs
/// sorting) and GROUP BY, in nedbd's clause order.
/// </summary>
internal sealed partial class QueryExecutor
{
    private readonly Snapshot _snapshot;
    private readonly QueryPlan _plan;
    private readonly CollectionSchema _schema;
    private readonly long _nowMs;
    private readonly KeyBuilder _key = new();
    private readonly KeyBuilder _readKey = new();
    private SnapshotCursor? _reader;
    private byte[] _documentKey = new byte[64];
    private readonly List<CompiledCondition> _conditions;
    private readonly CancellationToken _cancellation;

    public QueryExecutor(Snapshot snapshot, QueryPlan plan, CollectionSchema schema, long nowMs, CancellationToken cancellation = default)
    {
        _snapshot = snapshot;
        _plan = plan;
        _schema = schema;
        _nowMs = nowMs;
        _cancellation = cancellation;
        _conditions = Residual(plan);
    }

    /// <summary>The rows, each as it is produced (after a sort or grouping, all at once); a cancelled token stops the reading.</summary>
    public IEnumerable<byte[]> Run()
    {
        try
        {
            foreach (var row in Rows())
            {
                yield return row;
            }
        }
        finally
        {
            _reader?.Dispose();
        }
    }

    /// <summary>Counts a document read and stops there when the query was cancelled: every access path reads through this.</summary>
    private void Examine()
    {
        Examined++;
        _cancellation.ThrowIfCancellationRequested();
    }

    private IEnumerable<byte[]> Rows()
    {
        var query = _plan.Query;
        IEnumerable<QueryRow> rows = Candidates();
        if (_plan.Sort)
        {
            rows = Sorted(rows);
        }

        if (query.Traverse is { } relation)
        {
            var reached = new HashSet<string>(StringComparer.Ordinal);   // each document once, first reached first (nedbd's)
            rows = rows.SelectMany(row => Traverse(row, relation, reached));
        }

        if (query.Trace is { } trace)
        {
            rows = Trace(rows, trace);
        }

        if (query.Limit is { } limit)
        {
            rows = rows.Take((int)Math.Min(limit, int.MaxValue));
        }

        // nedbd's clause order: VALID AS OF after LIMIT, so it may return fewer rows than LIMIT.
        if (query.ValidAsOf is { } date)
        {
            rows = rows.Where(row =>
            {
                var valid = ValidAt(row, date);
                if (!valid)
                {
                    row.Dispose();
                }

                return valid;
            });
        }

        if (query.GroupBy is { } groupBy)
        {
            foreach (var group in QueryGrouping.Grouped(rows, groupBy))
            {
                yield return group;
            }

            yield break;
        }

        foreach (var row in rows)
        {
            var json = row.Json;
            row.Dispose();
            yield return json;
        }
    }

    /// <summary>How many documents the query read.</summary>
    public long Examined { get; private set; }

    /// <summary>
    /// The conditions left to check: those the access path answers exactly (the primary
    /// key, an index value or range bound that was not cut to fit a key) are dropped.
    /// </summary>
    private static List<CompiledCondition> Residual(QueryPlan plan)
    {
        var exact = plan.Access is AccessPath.PrimaryKey or AccessPath.IndexEquality or AccessPath.SortedRange
            ? plan.Served.Where(c => !MayBeCut(c.Value)).ToHashSet()
            : [];
        return plan.Query.Where.Where(c => !exact.Contains(c)).Select(c => new CompiledCondition(c)).ToList();
    }

    private IEnumerable<QueryRow> Sorted(IEnumerable<QueryRow> rows)
    {
        var all = rows.ToList();
        var key = new KeyBuilder();
        var sortable = all.Select(row => (QueryRow: row, Value: _plan.Query.OrderBy is { } field ? NqlSemantics.SortKey(row.Document.RootElement, field, key) : [], Id: row.IdElement)).ToList();
        sortable.Sort((a, b) =>
        {
            var c = a.Value.AsSpan().SequenceCompareTo(b.Value);
            return c != 0 ? c : a.Id.AsSpan().SequenceCompareTo(b.Id);
        });
        if (_plan.Query.Descending)
        {
            sortable.Reverse();
        }

        return sortable.Select(s => s.QueryRow);
    }

    /// <summary>The documents <paramref name="row"/> links to by <paramref name="relation"/>, in key order; missing ones and ones already <paramref name="reached"/> are skipped.</summary>
    private IEnumerable<QueryRow> Traverse(QueryRow row, string relation, HashSet<string> reached)
    {
        var from = $"{_plan.Collection}:{row.Id}";
        row.Dispose();
        var prefix = new KeyBuilder().Byte(Keyspace.LinksOut).String(from).String(relation).ToArray();
        foreach (var edge in _snapshot.Scan(prefix, Keyspace.End(prefix)))
        {
            var reader = new KeyReader(edge.Key, prefix.Length);
            var to = reader.String();
            var colon = to.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0 || !Names.IsCollectionName(to[..colon]) || to.Length == colon + 1 || !reached.Add(to))
            {
                continue;
            }

            // Where filters the rows traversed from, not the documents reached.
            if (ReadDocument(to[..colon], to[(colon + 1)..], filter: false) is { } target)
            {
                yield return target;
            }
        }
    }
}
