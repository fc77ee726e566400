using System.Buffers;
using System.Buffers.Binary;
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
    private SnapshotCursor? _reader;
    private byte[] _documentKey = new byte[64];
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
        try
        {
            return Collect();
        }
        finally
        {
            _reader?.Dispose();
        }
    }

    private List<byte[]> Collect()
    {
        var query = _plan.Query;
        IEnumerable<Row> rows = Candidates();
        if (_plan.Sort)
        {
            rows = Sorted(rows);
        }

        if (query.Traverse is { } relation)
        {
            var reached = new HashSet<string>(StringComparer.Ordinal);   // each document once, first reached first (nedbd's)
            rows = rows.SelectMany(row => Traverse(row, relation, reached));
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

    /// <summary>The documents the access path gives, in its order, that pass every residual condition (absent and expired ones skipped).</summary>
    private IEnumerable<Row> Candidates()
    {
        var collection = _plan.Collection;
        var documents = Keyspace.Prefix(new KeyBuilder(), collection, Keyspace.DocumentsId).ToArray();
        var indexPrefix = _plan.Index is { } index ? Keyspace.Prefix(new KeyBuilder(), collection, index.Id).ToArray() : [];
        switch (_plan.Access)
        {
            case AccessPath.PrimaryKey:
            {
                if (ReadDocument(collection, _plan.Served[0].Value.Text) is { } row)
                {
                    yield return row;
                }

                break;
            }

            case AccessPath.IndexEquality:
            {
                var prefix = NqlSemantics.Encode(Keyspace.Prefix(_key, collection, _plan.Index!.Id), _plan.Served[0].Value).ToArray();
                if (_plan.Served[0].Value.Kind == NqlValueKind.String && MayBeCut(_plan.Served[0].Value.Text))
                {
                    // Whole and cut values share the region: an id may come twice and out of order.
                    foreach (var row in ReadAll(documents, IdsInOrder([(prefix, Keyspace.End(prefix))], indexPrefix.Length)))
                    {
                        yield return row;
                    }

                    break;
                }

                foreach (var row in ReadIndexed(documents, prefix, Keyspace.End(prefix), indexPrefix.Length, reverse: false))
                {
                    yield return row;
                }

                break;
            }

            case AccessPath.SortedEquality:
            {
                // The value's entries, and those of arrays and objects (which may hold it), in id order.
                var prefix = NqlSemantics.Encode(Keyspace.Prefix(_key, collection, _plan.Index!.Id), _plan.Served[0].Value).ToArray();
                var ids = IdsInOrder([(prefix, Keyspace.End(prefix)), ([.. indexPrefix, KeyTags.Composite], [.. indexPrefix, KeyTags.Composite + 1])], indexPrefix.Length);
                foreach (var row in ReadAll(documents, ids))
                {
                    yield return row;
                }

                break;
            }

            case AccessPath.SortedRange or AccessPath.SortedOrder:
            {
                var (from, to) = Range();
                foreach (var row in ReadIndexed(documents, from, to, indexPrefix.Length, _plan.Reverse))
                {
                    yield return row;
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

                var prefixes = terms.Select(term => Keyspace.Prefix(new KeyBuilder(), collection, _plan.Index!.Id).String(term).ToArray()).ToList();
                foreach (var row in ReadAll(documents, IdsOfNumbers(collection, Intersect(prefixes))))
                {
                    yield return row;
                }

                break;
            }

            default:
            {
                using var scan = _snapshot.Cursor(documents, Keyspace.End(documents));
                while (scan.MoveNext())
                {
                    Examined++;
                    if (Accept(scan, scan.Key[documents.Length..]) is { } row)
                    {
                        yield return row;
                    }
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

    /// <summary>The documents whose ids end the index entries in a range, in the range's order.</summary>
    private IEnumerable<Row> ReadIndexed(byte[] documents, byte[] from, byte[] to, int indexPrefixLength, bool reverse)
    {
        if (from.AsSpan().SequenceCompareTo(to) >= 0)
        {
            yield break;
        }

        using var entries = _snapshot.Cursor(from, to, reverse);
        while (entries.MoveNext())
        {
            var row = Read(DocumentKey(documents, IdElement(entries.Key, indexPrefixLength)), documents.Length);
            if (row is not null)
            {
                yield return row;
            }
        }
    }

    /// <summary>The documents of the encoded ids given, in that order.</summary>
    private IEnumerable<Row> ReadAll(byte[] documents, IEnumerable<byte[]> ids)
    {
        foreach (var id in ids)
        {
            if (Read(DocumentKey(documents, id), documents.Length) is { } row)
            {
                yield return row;
            }
        }
    }

    /// <summary>The encoded ids ending the index entries of several ranges, each once, in id order.</summary>
    private List<byte[]> IdsInOrder(List<(byte[] From, byte[] To)> ranges, int indexPrefixLength)
    {
        var ids = new SortedSet<byte[]>(ByteArrayComparer.Instance);
        foreach (var (from, to) in ranges)
        {
            if (from.AsSpan().SequenceCompareTo(to) >= 0)
            {
                continue;
            }

            using var entries = _snapshot.Cursor(from, to);
            while (entries.MoveNext())
            {
                ids.Add(IdElement(entries.Key, indexPrefixLength).ToArray());
            }
        }

        return [.. ids];
    }

    /// <summary>The encoded ids of the documents that search numbers name, in the numbers' order.</summary>
    private IEnumerable<byte[]> IdsOfNumbers(string collection, IEnumerable<byte[]> numbers)
    {
        var prefixLength = Keyspace.Prefix(_readKey.Clear(), collection, Keyspace.SearchNumbersId).Length;
        var slot = new byte[prefixLength + SearchNumbers.ElementLength];
        _readKey.Span.CopyTo(slot);
        using var slots = _snapshot.Cursor();
        foreach (var number in numbers)
        {
            number.CopyTo(slot, prefixLength);
            if (slots.TryFind(slot))
            {
                yield return slots.Value.ToArray();
            }
        }
    }

    /// <summary>
    /// The encoded elements present under every prefix (a search term's entries each): each
    /// prefix's entries are in id order, so one merge pass over all of them finds them.
    /// Ids are compared as encoded, whose byte order is the ids' order.
    /// </summary>
    private IEnumerable<byte[]> Intersect(List<byte[]> prefixes)
    {
        var cursors = prefixes.Select(prefix => _snapshot.Cursor(prefix, Keyspace.End(prefix))).ToList();
        try
        {
            foreach (var cursor in cursors)
            {
                if (!cursor.MoveNext())
                {
                    yield break;
                }
            }

            var starts = prefixes.Select(prefix => prefix.Length).ToArray();
            while (Align(cursors, starts))
            {
                yield return cursors[0].Key[starts[0]..].ToArray();
                if (!cursors[0].MoveNext())
                {
                    yield break;
                }
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

    /// <summary>
    /// Moves the cursors forward until all are on the same id (true) or one runs out
    /// (false): each catches up with the first cursor's id, and one that overshoots moves
    /// the first up to it. <paramref name="starts"/> says where the id starts in each key.
    /// </summary>
    private static bool Align(List<SnapshotCursor> cursors, int[] starts)
    {
        if (cursors.Count == 2)
        {
            return Align(cursors[0], starts[0], cursors[1], starts[1]);
        }

        var lead = cursors[0];
        while (true)
        {
            var aligned = true;
            for (var i = 1; i < cursors.Count; i++)
            {
                var cursor = cursors[i];
                int c;
                while ((c = CompareIds(cursor.Key[starts[i]..], lead.Key[starts[0]..])) < 0)
                {
                    if (!cursor.MoveNext())
                    {
                        return false;
                    }
                }

                if (c > 0)
                {
                    while (CompareIds(lead.Key[starts[0]..], cursor.Key[starts[i]..]) < 0)
                    {
                        if (!lead.MoveNext())
                        {
                            return false;
                        }
                    }

                    aligned = false;
                    break;
                }
            }

            if (aligned)
            {
                return true;
            }
        }
    }

    /// <summary>The two-term case of <see cref="Align(List{SnapshotCursor}, int[])"/>: a plain merge step, each key read once per move.</summary>
    private static bool Align(SnapshotCursor a, int startA, SnapshotCursor b, int startB)
    {
        // Each side's id and its first eight bytes as a number (0 when shorter), read once per move.
        var idA = a.Key[startA..];
        var idB = b.Key[startB..];
        var headA = Head(idA);
        var headB = Head(idB);
        while (true)
        {
            var c = CompareIds(idA, headA, idB, headB);
            if (c == 0)
            {
                return true;
            }

            if (c < 0)
            {
                if (!a.MoveNext(out var key))
                {
                    return false;
                }

                idA = key[startA..];
                headA = Head(idA);
            }
            else
            {
                if (!b.MoveNext(out var key))
                {
                    return false;
                }

                idB = key[startB..];
                headB = Head(idB);
            }
        }
    }

    /// <summary>An id's first eight bytes, big endian (ordered as the ids are when both have eight and they differ), or 0 for a shorter id (then, and on a tie, whole ids are compared).</summary>
    private static ulong Head(ReadOnlySpan<byte> id) => id.Length >= 8 ? BinaryPrimitives.ReadUInt64BigEndian(id) : 0;

    /// <summary>Orders two encoded ids: by their first eight bytes as a number when both have them (ids rarely share more), else byte by byte.</summary>
    private static int CompareIds(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b) => CompareIds(a, Head(a), b, Head(b));

    /// <summary><see cref="CompareIds(ReadOnlySpan{byte}, ReadOnlySpan{byte})"/> with the ids' heads already read.</summary>
    private static int CompareIds(ReadOnlySpan<byte> a, ulong headA, ReadOnlySpan<byte> b, ulong headB) =>
        headA != headB && headA != 0 && headB != 0 ? (headA < headB ? -1 : 1) : a.SequenceCompareTo(b);

    /// <summary>The encoded id that ends an index entry's key: the element after the value.</summary>
    private static ReadOnlySpan<byte> IdElement(ReadOnlySpan<byte> key, int indexPrefixLength)
    {
        var reader = new KeyReader(key, indexPrefixLength);
        reader.Skip();
        return key[reader.Position..];
    }

    /// <summary>A document's key from its collection's prefix and its encoded id (valid until the next call).</summary>
    private ReadOnlySpan<byte> DocumentKey(byte[] documents, ReadOnlySpan<byte> idElement)
    {
        var length = documents.Length + idElement.Length;
        if (_documentKey.Length < length)
        {
            _documentKey = new byte[Math.Max(length, _documentKey.Length * 2)];
        }

        documents.CopyTo(_documentKey, 0);
        idElement.CopyTo(_documentKey.AsSpan(documents.Length));
        return _documentKey.AsSpan(0, length);
    }

    /// <summary>The document <paramref name="id"/> of <paramref name="collection"/>, as <see cref="Read"/> gives it.</summary>
    private Row? ReadDocument(string collection, string id, bool filter = true)
    {
        var idStart = Keyspace.Prefix(_readKey.Clear(), collection, Keyspace.DocumentsId).Length;
        return Read(_readKey.String(id).Span, idStart, filter);
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

    /// <summary>How many documents the query read.</summary>
    public long Examined { get; private set; }

    /// <summary>The live, unexpired document at <paramref name="key"/> if it passes the residual conditions (unless <paramref name="filter"/> is false).</summary>
    private Row? Read(ReadOnlySpan<byte> key, int idStart, bool filter = true)
    {
        Examined++;
        var reader = _reader ??= _snapshot.Cursor();
        return reader.TryFind(key) ? Accept(reader, key[idStart..], filter) : null;
    }

    /// <summary>
    /// The document the cursor is on as a row, or null when it expired or fails a residual
    /// condition. Conditions are checked on the stored bytes where they can be, so a
    /// document is copied out of the tree only when it passes.
    /// </summary>
    private Row? Accept(SnapshotCursor at, ReadOnlySpan<byte> idElement, bool filter = true)
    {
        var stored = at.Value;
        if (DocumentCodec.IsExpired(stored, _nowMs))
        {
            return null;
        }

        var version = at.Version;
        var json = DocumentCodec.Json(stored);
        Row? row = null;
        foreach (var condition in filter ? _conditions : [])
        {
            switch (condition.TryMatch(json, version))
            {
                case true:
                    continue;
                case false:
                    row?.Dispose();
                    return null;
            }

            row ??= new Row(DocumentCodec.WithSeq(stored, version), version, idElement.ToArray());
            if (!NqlSemantics.Matches(row.Document.RootElement, condition.Condition))
            {
                row.Dispose();
                return null;
            }
        }

        row ??= new Row(DocumentCodec.WithSeq(stored, version), version, idElement.ToArray());

        // The search path intersects every term's entries, which is the whole of SEARCH.
        if (filter && _plan.Query.Search is { } search && _plan.Access != AccessPath.SearchIndex
            && !(_schema.Indexes.Any(i => i.Kind == IndexKind.Search && i.Ready)
                ? NqlSemantics.MatchesSearch(row.Document.RootElement, search, _schema.Indexes.Where(i => i.Kind == IndexKind.Search && i.Ready).Select(i => i.Field))
                : NqlSemantics.MatchesSearchWithoutIndex(row.Document.RootElement, search)))
        {
            row.Dispose();
            return null;
        }

        return row;
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
        var sortable = all.Select(row => (Row: row, Value: _plan.Query.OrderBy is { } field ? NqlSemantics.SortKey(row.Document.RootElement, field, key) : [], Id: row.IdElement)).ToList();
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

    /// <summary>The documents <paramref name="row"/> links to by <paramref name="relation"/>, in key order; missing ones and ones already <paramref name="reached"/> are skipped.</summary>
    private IEnumerable<Row> Traverse(Row row, string relation, HashSet<string> reached)
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
    private sealed class Row(byte[] json, long version, byte[] idElement) : IDisposable
    {
        private JsonDocument? _document;

        /// <summary>The id as encoded in keys: ordered as the ids are.</summary>
        public byte[] IdElement { get; } = idElement;

        public string Id => new KeyReader(IdElement).String();

        public long Version { get; } = version;

        /// <summary>The document as returned: with <c>_seq</c>.</summary>
        public byte[] Json { get; } = json;

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
