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
    private readonly KeyBuilder _readKey = new();
    private readonly List<CompiledCondition> _conditions;

    public QueryExecutor(Snapshot snapshot, QueryPlan plan, CollectionSchema schema, long nowMs)
    {
        _snapshot = snapshot;
        _plan = plan;
        _schema = schema;
        _nowMs = nowMs;
        _conditions = Residual(plan);
    }

    public List<byte[]> Run()
    {
        var query = _plan.Query;
        IEnumerable<Row> rows = Candidates().OfType<Row>().Where(Matches);
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

    /// <summary>The candidate documents in the path's order (absent and expired ones as null).</summary>
    private IEnumerable<Row?> Candidates()
    {
        var collection = _plan.Collection;
        switch (_plan.Access)
        {
            case AccessPath.PrimaryKey:
                yield return Read(collection, _plan.Served[0].Value.Text);
                break;
            case AccessPath.IndexEquality:
            {
                var prefix = NqlSemantics.Encode(Keyspace.Prefix(_key, collection, _plan.Index!.Id), _plan.Served[0].Value).ToArray();
                var ids = IdsUnder(prefix, Keyspace.End(prefix), reverse: false);
                if (_plan.Served[0].Value.Kind == NqlValueKind.String && MayBeCut(_plan.Served[0].Value.Text))
                {
                    // Whole and cut values share the region: an id may come twice and out of order.
                    ids = ids.Distinct(StringComparer.Ordinal).OrderBy(id => Encoding.UTF8.GetBytes(id), ByteArrayComparer.Instance).ToList();
                }

                foreach (var id in ids)
                {
                    yield return Read(collection, id);
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
                    yield return Read(collection, id);
                }

                break;
            }

            case AccessPath.SortedRange or AccessPath.SortedOrder:
            {
                var (from, to) = Range();
                foreach (var id in IdsUnder(from, to, _plan.Reverse))
                {
                    yield return Read(collection, id);
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

                foreach (var id in Intersect(terms.Select(term =>
                    {
                        var prefix = Keyspace.Prefix(new KeyBuilder(), collection, _plan.Index!.Id).String(term).ToArray();
                        return IdsUnder(prefix, Keyspace.End(prefix), reverse: false);
                    }).ToList()))
                {
                    yield return Read(collection, id);
                }

                break;
            }

            default:
            {
                var prefix = Keyspace.Prefix(_key, collection, Keyspace.DocumentsId).ToArray();
                foreach (var entry in _snapshot.Scan(prefix, Keyspace.End(prefix)))
                {
                    Examined++;
                    yield return DocumentCodec.IsExpired(entry.Value, _nowMs) ? null : new Row(entry.Value, entry.Version, IdOf(entry.Key));
                }

                break;
            }
        }
    }

    /// <summary>
    /// True when an index may hold other values under this literal's key: a string of the
    /// cut length or longer shares its key region with longer strings of the same prefix.
    /// </summary>
    private static bool MayBeCut(string literal) => Encoding.UTF8.GetByteCount(literal) >= KeyBuilder.MaxIndexedStringBytes;

    /// <summary>The ids every stream holds; each stream is in id order (UTF-8 bytes), so they are merged in one pass.</summary>
    private static IEnumerable<string> Intersect(List<IEnumerable<string>> streams)
    {
        var cursors = streams.Select(s => s.GetEnumerator()).ToList();
        try
        {
            var current = new byte[cursors.Count][];
            for (var i = 0; i < cursors.Count; i++)
            {
                if (!cursors[i].MoveNext())
                {
                    yield break;
                }

                current[i] = Encoding.UTF8.GetBytes(cursors[i].Current);
            }

            while (true)
            {
                var highest = current.Max(ByteArrayComparer.Instance)!;
                var aligned = true;
                for (var i = 0; i < cursors.Count; i++)
                {
                    while (current[i].AsSpan().SequenceCompareTo(highest) < 0)
                    {
                        if (!cursors[i].MoveNext())
                        {
                            yield break;
                        }

                        current[i] = Encoding.UTF8.GetBytes(cursors[i].Current);
                    }

                    aligned &= current[i].AsSpan().SequenceEqual(highest);
                }

                if (!aligned)
                {
                    continue;
                }

                yield return cursors[0].Current;
                if (!cursors[0].MoveNext())
                {
                    yield break;
                }

                current[0] = Encoding.UTF8.GetBytes(cursors[0].Current);
            }
        }
        finally
        {
            foreach (var cursor in cursors)
            {
                cursor.Dispose();
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

    private Row? Read(string collection, string id)
    {
        Examined++;
        if (!_snapshot.TryGetVersioned(Keyspace.Document(_readKey, collection, id).Span, out var stored) || stored.Value is not { } bytes || DocumentCodec.IsExpired(bytes, _nowMs))
        {
            return null;
        }

        return new Row(bytes, stored.Version, id);
    }

    /// <summary>The id in a document's key.</summary>
    private static string IdOf(byte[] documentKey)
    {
        var reader = new KeyReader(documentKey);
        reader.Byte();
        reader.Skip();
        reader.Skip();
        return reader.String();
    }

    private bool Matches(Row row)
    {
        foreach (var condition in _conditions)
        {
            var fast = condition.TryMatch(row.Stored, row.Version);
            if (!(fast ?? NqlSemantics.Matches(row.Document.RootElement, condition.Condition)))
            {
                row.Dispose();
                return false;
            }
        }

        // The search path intersects every term's entries, which is the whole of SEARCH.
        if (_plan.Query.Search is { } search && _plan.Access != AccessPath.SearchIndex
            && !NqlSemantics.MatchesSearch(row.Document.RootElement, search, _schema.Indexes.Where(i => i.Kind == IndexKind.Search && i.Ready).Select(i => i.Field)))
        {
            row.Dispose();
            return false;
        }

        return true;
    }

    /// <summary>
    /// The conditions left to check: those the access path answers exactly (the primary
    /// key, an index value or range bound that was not cut to fit a key) are dropped.
    /// </summary>
    private static List<CompiledCondition> Residual(QueryPlan plan)
    {
        var exact = plan.Access is AccessPath.PrimaryKey or AccessPath.IndexEquality or AccessPath.SortedRange
            ? plan.Served.Where(c => c.Value.Kind != NqlValueKind.String || !MayBeCut(c.Value.Text)).ToHashSet()
            : [];
        return plan.Query.Where.Where(c => !exact.Contains(c)).Select(c => new CompiledCondition(c)).ToList();
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

    private static byte[] IdBytes(Row row) => Encoding.UTF8.GetBytes(row.Id);

    /// <summary>The documents <paramref name="row"/> links to by <paramref name="relation"/>, in key order; missing ones are skipped.</summary>
    private IEnumerable<Row> Traverse(Row row, string relation)
    {
        var from = $"{_plan.Collection}:{row.Id}";
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

            if (Read(to[..colon], to[(colon + 1)..]) is { } target)
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
            if (groupKey[^1] == KeyTags.Truncated && FieldPath.TryRead(document, groupBy.Field, out var whole))
            {
                // A value cut to fit a key: its whole text tells it apart from others of the same prefix.
                groupKey = [.. groupKey, .. Encoding.UTF8.GetBytes(whole.ValueKind == JsonValueKind.String ? whole.GetString()! : whole.GetRawText())];
            }
            if (!groups.TryGetValue(groupKey, out var group))
            {
                group = new Group(FieldPath.TryRead(document, groupBy.Field, out var value) ? value.Clone() : null);
                groups[groupKey] = group;
            }

            group.Count++;
            if (groupBy.AggregateField is { } field && FieldPath.TryRead(document, field, out var number)
                && number.ValueKind == JsonValueKind.Number && number.TryGetDouble(out var x) && double.IsFinite(x))
            {
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
                        WriteNumberOrNull(writer, $"sum_{groupBy.AggregateField}", group.Sum);
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

    /// <summary>Writes a number, or null for none (or one too large for JSON, a sum that overflowed).</summary>
    private static void WriteNumberOrNull(Utf8JsonWriter writer, string name, double? value)
    {
        if (value is { } number && double.IsFinite(number))
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

    /// <summary>
    /// A document read by the query: its stored JSON and version, parsed only when a
    /// condition, an ORDER BY or a GROUP BY needs the parsed form.
    /// </summary>
    private sealed class Row(byte[] stored, long version, string id) : IDisposable
    {
        private JsonDocument? _document;
        private byte[]? _json;

        public string Id { get; } = id;

        public long Version { get; } = version;

        /// <summary>The stored JSON (without <c>_seq</c>).</summary>
        public ReadOnlySpan<byte> Stored => DocumentCodec.Json(stored).Span;

        /// <summary>The document as returned: with <c>_seq</c>.</summary>
        public byte[] Json => _json ??= DocumentCodec.WithSeq(stored, Version);

        public JsonDocument Document => _document ??= JsonDocument.Parse(Json);

        public void Dispose() => _document?.Dispose();
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
