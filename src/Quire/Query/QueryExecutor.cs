using System.Buffers;
using System.Text;
using System.Text.Json;
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
internal sealed class QueryExecutor
{
    private readonly Snapshot _snapshot;
    private readonly QueryPlan _plan;
    private readonly CollectionSchema _schema;
    private readonly long _nowMs;
    private readonly KeyBuilder _key = new();

    public QueryExecutor(Snapshot snapshot, QueryPlan plan, CollectionSchema schema, long nowMs)
    {
        _snapshot = snapshot;
        _plan = plan;
        _schema = schema;
        _nowMs = nowMs;
    }

    public List<byte[]> Run()
    {
        var query = _plan.Query;
        IEnumerable<Row> rows = Candidates().Select(Read).OfType<Row>().Where(Matches);
        if (_plan.Sort)
        {
            rows = Sorted(rows);
        }

        if (query.Traverse is { } relation)
        {
            rows = rows.SelectMany(row => Traverse(row, relation));
        }

        if (query.Limit is { } limit)
        {
            rows = rows.Take((int)Math.Min(limit, int.MaxValue));
        }

        if (query.GroupBy is { } groupBy)
        {
            return Grouped(rows, groupBy);
        }

        var result = new List<byte[]>();
        foreach (var row in rows)
        {
            result.Add(row.Json);
            row.Dispose();
        }

        return result;
    }

    /// <summary>Document keys in the path's order (ids for index paths).</summary>
    private IEnumerable<byte[]> Candidates()
    {
        var collection = _plan.Collection;
        switch (_plan.Access)
        {
            case AccessPath.PrimaryKey:
                yield return Keyspace.Document(_key, collection, _plan.Served[0].Value.Text).ToArray();
                break;
            case AccessPath.IndexEquality:
            {
                var prefix = NqlSemantics.Encode(Keyspace.Prefix(_key, collection, _plan.Index!.Id), _plan.Served[0].Value).ToArray();
                foreach (var id in IdsUnder(prefix, Keyspace.End(prefix), reverse: false))
                {
                    yield return Keyspace.Document(new KeyBuilder(), collection, id).ToArray();
                }

                break;
            }

            case AccessPath.SortedEquality:
            {
                // The value's entries, and those of arrays and objects (which may hold it), in id order.
                var prefix = NqlSemantics.Encode(Keyspace.Prefix(_key, collection, _plan.Index!.Id), _plan.Served[0].Value).ToArray();
                var indexPrefix = Keyspace.Prefix(_key, collection, _plan.Index.Id).ToArray();
                var ids = IdsUnder(prefix, Keyspace.End(prefix), reverse: false)
                    .Concat(IdsUnder([.. indexPrefix, KeyTags.Composite], [.. indexPrefix, KeyTags.Composite + 1], reverse: false))
                    .Distinct(StringComparer.Ordinal)
                    .OrderBy(id => Encoding.UTF8.GetBytes(id), ByteArrayComparer.Instance);
                foreach (var id in ids)
                {
                    yield return Keyspace.Document(new KeyBuilder(), collection, id).ToArray();
                }

                break;
            }

            case AccessPath.SortedRange or AccessPath.SortedOrder:
            {
                var (from, to) = Range();
                foreach (var id in IdsUnder(from, to, _plan.Reverse))
                {
                    yield return Keyspace.Document(new KeyBuilder(), collection, id).ToArray();
                }

                break;
            }

            case AccessPath.SearchIndex:
            {
                var terms = TextAnalyzer.Terms(_plan.Query.Search!);
                if (terms.Count == 0)
                {
                    yield break;
                }

                var prefix = Keyspace.Prefix(_key, collection, _plan.Index!.Id).String(terms[0]).ToArray();
                foreach (var id in IdsUnder(prefix, Keyspace.End(prefix), reverse: false))
                {
                    yield return Keyspace.Document(new KeyBuilder(), collection, id).ToArray();
                }

                break;
            }

            default:
            {
                var prefix = Keyspace.Prefix(_key, collection, Keyspace.DocumentsId).ToArray();
                foreach (var entry in _snapshot.Scan(prefix, Keyspace.End(prefix)))
                {
                    yield return entry.Key;
                }

                break;
            }
        }
    }

    /// <summary>The key range of a sorted index a range or order plan reads.</summary>
    private (byte[] From, byte[] To) Range()
    {
        var prefix = Keyspace.Prefix(new KeyBuilder(), _plan.Collection, _plan.Index!.Id).ToArray();
        if (_plan.Access == AccessPath.SortedOrder)
        {
            return (prefix, Keyspace.End(prefix));
        }

        // Start and end at the type's own region, then narrow by each bound.
        var numbers = _plan.Served[0].Value.Kind == NqlValueKind.Number;
        byte[] from = [.. prefix, numbers ? KeyTags.NegativeNumber : KeyTags.String];
        byte[] to = [.. prefix, numbers ? (byte)(KeyTags.PositiveNumber + 1) : (byte)(KeyTags.String + 1)];
        foreach (var bound in _plan.Served)
        {
            var value = NqlSemantics.Encode(new KeyBuilder(), bound.Value).ToArray();
            byte[] at = [.. prefix, .. value];
            byte[] past = [.. at, 0xFF];

            // A literal cut to fit a key stands for every value sharing its prefix: keep them all, the filter decides.
            var cut = value[^1] == KeyTags.Truncated;
            switch (bound.Operator)
            {
                case NqlOperator.Greater:
                    from = Max(from, cut ? at : past);
                    break;
                case NqlOperator.GreaterOrEqual:
                    from = Max(from, at);
                    break;
                case NqlOperator.Less:
                    to = Min(to, cut ? past : at);
                    break;
                default:
                    to = Min(to, past);
                    break;
            }
        }

        return (from, to);
    }

    private IEnumerable<string> IdsUnder(byte[] from, byte[] to, bool reverse)
    {
        if (from.AsSpan().SequenceCompareTo(to) >= 0)
        {
            yield break;
        }

        foreach (var entry in _snapshot.Scan(from, to, reverse))
        {
            yield return LastString(entry.Key);
        }
    }

    /// <summary>The document id that ends an index entry's key.</summary>
    private static string LastString(byte[] key)
    {
        var reader = new KeyReader(key);
        reader.Byte();
        reader.Skip();   // collection
        reader.Skip();   // index id
        while (true)
        {
            var position = reader.Position;
            reader.Skip();
            if (reader.AtEnd)
            {
                return new KeyReader(key, position).String();
            }
        }
    }

    /// <summary>How many documents the query read.</summary>
    public long Examined { get; private set; }

    private Row? Read(byte[] documentKey)
    {
        Examined++;
        if (!_snapshot.TryGetVersioned(documentKey, out var stored) || stored.Value is not { } bytes || DocumentCodec.IsExpired(bytes, _nowMs))
        {
            return null;
        }

        var json = DocumentCodec.WithSeq(bytes, stored.Version);
        return new Row(json, JsonDocument.Parse(json));
    }

    private bool Matches(Row row)
    {
        var document = row.Document.RootElement;
        foreach (var condition in _plan.Query.Where)
        {
            if (!NqlSemantics.Matches(document, condition))
            {
                row.Dispose();
                return false;
            }
        }

        if (_plan.Query.Search is { } search
            && !NqlSemantics.MatchesSearch(document, search, _schema.Indexes.Where(i => i.Kind == IndexKind.Search && i.Ready).Select(i => i.Field)))
        {
            row.Dispose();
            return false;
        }

        return true;
    }

    private IEnumerable<Row> Sorted(IEnumerable<Row> rows)
    {
        var all = rows.ToList();
        var key = new KeyBuilder();
        var sortable = all.Select(row => (Row: row, Value: _plan.Query.OrderBy is { } field ? NqlSemantics.SortKey(row.Document.RootElement, field, key) : [], Id: IdBytes(row))).ToList();
        sortable.Sort((a, b) =>
        {
            var c = a.Value.AsSpan().SequenceCompareTo(b.Value);
            return c != 0 ? c : a.Id.AsSpan().SequenceCompareTo(b.Id);
        });
        if (_plan.Query.Descending)
        {
            sortable.Reverse();
        }

        return sortable.Select(s => s.Row);
    }

    private static byte[] IdBytes(Row row) => Encoding.UTF8.GetBytes(row.Document.RootElement.GetProperty("_id").GetString()!);

    /// <summary>The documents <paramref name="row"/> links to by <paramref name="relation"/>, in key order; missing ones are skipped.</summary>
    private IEnumerable<Row> Traverse(Row row, string relation)
    {
        var from = $"{_plan.Collection}:{row.Document.RootElement.GetProperty("_id").GetString()}";
        row.Dispose();
        var prefix = new KeyBuilder().Byte(Keyspace.LinksOut).String(from).String(relation).ToArray();
        foreach (var edge in _snapshot.Scan(prefix, Keyspace.End(prefix)))
        {
            var reader = new KeyReader(edge.Key, prefix.Length);
            var to = reader.String();
            var colon = to.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0 || !Names.IsCollectionName(to[..colon]) || to.Length == colon + 1)
            {
                continue;
            }

            if (Read(Keyspace.Document(new KeyBuilder(), to[..colon], to[(colon + 1)..]).ToArray()) is { } target)
            {
                yield return target;
            }
        }
    }

    private static List<byte[]> Grouped(IEnumerable<Row> rows, NqlGroupBy groupBy)
    {
        var key = new KeyBuilder();
        var groups = new SortedDictionary<byte[], Group>(ByteArrayComparer.Instance);
        foreach (var row in rows)
        {
            var document = row.Document.RootElement;
            var groupKey = NqlSemantics.SortKey(document, groupBy.Field, key);
            if (!groups.TryGetValue(groupKey, out var group))
            {
                group = new Group(FieldPath.TryRead(document, groupBy.Field, out var value) ? value.Clone() : null);
                groups[groupKey] = group;
            }

            group.Count++;
            if (groupBy.AggregateField is { } field && FieldPath.TryRead(document, field, out var number) && number.ValueKind == JsonValueKind.Number)
            {
                var x = number.GetDouble();
                group.Numbers++;
                group.Sum += x;
                group.Min = Math.Min(group.Min ?? x, x);
                group.Max = Math.Max(group.Max ?? x, x);
            }

            row.Dispose();
        }

        var result = new List<byte[]>(groups.Count);
        var buffer = new ArrayBufferWriter<byte>();
        foreach (var group in groups.Values)
        {
            buffer.ResetWrittenCount();
            using (var writer = new Utf8JsonWriter(buffer))
            {
                writer.WriteStartObject();
                writer.WritePropertyName(groupBy.Field);
                if (group.Value is { } value)
                {
                    value.WriteTo(writer);
                }
                else
                {
                    writer.WriteNullValue();
                }

                var name = groupBy.Aggregate.ToString().ToLowerInvariant();
                switch (groupBy.Aggregate)
                {
                    case NqlAggregate.Count:
                        writer.WriteNumber("count", group.Count);
                        break;
                    case NqlAggregate.Sum:
                        writer.WriteNumber($"sum_{groupBy.AggregateField}", group.Sum);
                        break;
                    case NqlAggregate.Avg:
                        WriteNumberOrNull(writer, $"avg_{groupBy.AggregateField}", group.Numbers == 0 ? null : group.Sum / group.Numbers);
                        break;
                    default:
                        WriteNumberOrNull(writer, $"{name}_{groupBy.AggregateField}", groupBy.Aggregate == NqlAggregate.Min ? group.Min : group.Max);
                        break;
                }

                writer.WriteEndObject();
            }

            result.Add(buffer.WrittenSpan.ToArray());
        }

        return result;
    }

    private static void WriteNumberOrNull(Utf8JsonWriter writer, string name, double? value)
    {
        if (value is { } number)
        {
            writer.WriteNumber(name, number);
        }
        else
        {
            writer.WriteNull(name);
        }
    }

    private static byte[] Max(byte[] a, byte[] b) => a.AsSpan().SequenceCompareTo(b) >= 0 ? a : b;

    private static byte[] Min(byte[] a, byte[] b) => a.AsSpan().SequenceCompareTo(b) <= 0 ? a : b;

    /// <summary>A document read by the query: its JSON (with <c>_seq</c>) and parsed form.</summary>
    private sealed record Row(byte[] Json, JsonDocument Document) : IDisposable
    {
        public void Dispose() => Document.Dispose();
    }

    private sealed class Group(JsonElement? value)
    {
        public JsonElement? Value { get; } = value;

        public long Count { get; set; }

        public long Numbers { get; set; }

        public double Sum { get; set; }

        public double? Min { get; set; }

        public double? Max { get; set; }
    }
}
