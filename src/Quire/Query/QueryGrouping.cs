using System.Buffers;
using System.Text;
using System.Text.Json;
using Quire.Indexes;
using Quire.Keys;
using Quire.Storage.Engine;

namespace Quire.Query;

/// <summary>GROUP BY: the rows' groups in value order, each <c>{field: value, count}</c> or with its aggregate (<c>sum_f</c>, <c>avg_f</c>, <c>min_f</c>, <c>max_f</c>).</summary>
internal static class QueryGrouping
{
    public static List<byte[]> Grouped(IEnumerable<QueryRow> rows, NqlGroupBy groupBy)
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
