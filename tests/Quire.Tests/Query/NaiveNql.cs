using System.Text;
using System.Text.Json;
using Quire.Query;

namespace Quire.Tests.Query;

/// <summary>
/// NQL evaluated the slow, obvious way, written from the semantics table in docs/nql.md
/// (not from the engine's code): filter every document, sort, traverse, limit, group.
/// </summary>
internal static class NaiveNql
{
    public static List<string> Run(NqlQuery q, IReadOnlyList<JsonElement> docs, IReadOnlyList<(string From, string Rel, string To)> links,
        IReadOnlyList<string> searchFields, Func<string, JsonElement?> lookup)
    {
        var rows = docs.Where(d => q.Where.All(c => Holds(d, c))).ToList();
        if (q.Search is { } search)
        {
            var wanted = Terms(search);
            rows = rows.Where(d =>
            {
                var have = searchFields.SelectMany(f => Texts(Read(d, f))).SelectMany(Terms).ToHashSet();
                return wanted.Count > 0 && wanted.All(have.Contains);
            }).ToList();
        }

        rows.Sort((x, y) =>
        {
            var c = q.OrderBy is { } field ? CompareForOrder(Read(x, field), Read(y, field)) : 0;
            return c != 0 ? c : Bytes(Id(x)).AsSpan().SequenceCompareTo(Bytes(Id(y)));
        });
        if (q.Descending)
        {
            rows.Reverse();
        }

        if (q.Traverse is { } rel)
        {
            // Each document reached once: where it is first reached (nedbd's).
            rows = rows.SelectMany(d => links
                    .Where(l => l.From == $"{q.Collection}:{Id(d)}" && l.Rel == rel)
                    .Select(l => l.To)
                    .Distinct()
                    .OrderBy(Bytes, Comparer<byte[]>.Create((a, b) => a.AsSpan().SequenceCompareTo(b))))
                .Distinct()
                .Select(to => lookup(to))
                .OfType<JsonElement>()
                .ToList();
        }

        if (q.Limit is { } limit)
        {
            rows = rows.Take((int)limit).ToList();
        }

        if (q.GroupBy is not { } g)
        {
            return rows.Select(r => r.GetRawText()).ToList();
        }

        var groups = new List<(JsonElement? Key, List<JsonElement> Rows)>();
        foreach (var row in rows)
        {
            var key = Read(row, g.Field);
            var group = groups.FindIndex(x => CompareForOrder(x.Key, key) == 0);
            if (group < 0)
            {
                groups.Add((key, [row]));
            }
            else
            {
                groups[group].Rows.Add(row);
            }
        }

        groups.Sort((a, b) => CompareForOrder(a.Key, b.Key));
        return groups.Select(group =>
        {
            using var stream = new MemoryStream();
            using (var writer = new Utf8JsonWriter(stream))
            {
                writer.WriteStartObject();
                writer.WritePropertyName(g.Field);
                if (group.Key is { } k)
                {
                    k.WriteTo(writer);
                }
                else
                {
                    writer.WriteNullValue();
                }

                var numbers = group.Rows.Select(r => Read(r, g.AggregateField ?? "")).Where(v => v?.ValueKind == JsonValueKind.Number).Select(v => v!.Value.GetDouble()).ToList();
                switch (g.Aggregate)
                {
                    case NqlAggregate.Count: writer.WriteNumber("count", group.Rows.Count); break;
                    case NqlAggregate.Sum: writer.WriteNumber($"sum_{g.AggregateField}", numbers.Aggregate(0.0, (s, x) => s + x)); break;
                    case NqlAggregate.Avg: Number(writer, $"avg_{g.AggregateField}", numbers.Count == 0 ? null : numbers.Aggregate(0.0, (s, x) => s + x) / numbers.Count); break;
                    case NqlAggregate.Min: Number(writer, $"min_{g.AggregateField}", numbers.Count == 0 ? null : numbers.Min()); break;
                    default: Number(writer, $"max_{g.AggregateField}", numbers.Count == 0 ? null : numbers.Max()); break;
                }

                writer.WriteEndObject();
            }

            return Encoding.UTF8.GetString(stream.ToArray());
        }).ToList();
    }

    /// <summary>A condition, by the table: missing reads as null; = by value (arrays: any element); ranges only number-number or string-string.</summary>
    public static bool Holds(JsonElement doc, NqlCondition c)
    {
        var value = Read(doc, c.Field);
        return c.Operator switch
        {
            NqlOperator.Equal => Equal(value, c.Value),
            NqlOperator.NotEqual => !Equal(value, c.Value),
            _ => Ordered(value, c.Value) is { } order && c.Operator switch
            {
                NqlOperator.Less => order < 0,
                NqlOperator.LessOrEqual => order <= 0,
                NqlOperator.Greater => order > 0,
                _ => order >= 0,
            },
        };
    }

    private static bool Equal(JsonElement? value, NqlValue literal)
    {
        if (value is null || value.Value.ValueKind == JsonValueKind.Null)
        {
            return literal.Kind == NqlValueKind.Null;
        }

        var v = value.Value;
        if (v.ValueKind == JsonValueKind.Array)
        {
            return v.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.Array && Equal(e, literal));
        }

        return literal.Kind switch
        {
            NqlValueKind.Number => v.ValueKind == JsonValueKind.Number && CompareNumbers(v.GetRawText(), literal.Text) == 0,
            NqlValueKind.String => v.ValueKind == JsonValueKind.String && v.GetString() == literal.Text,
            NqlValueKind.Boolean => (v.ValueKind == JsonValueKind.True && literal.Text == "true") || (v.ValueKind == JsonValueKind.False && literal.Text == "false"),
            _ => false,
        };
    }

    private static int? Ordered(JsonElement? value, NqlValue literal)
    {
        if (value is not { } v)
        {
            return null;
        }

        if (v.ValueKind == JsonValueKind.Number && literal.Kind == NqlValueKind.Number)
        {
            return CompareNumbers(v.GetRawText(), literal.Text);
        }

        if (v.ValueKind == JsonValueKind.String && literal.Kind == NqlValueKind.String)
        {
            return Math.Sign(Bytes(v.GetString()!).AsSpan().SequenceCompareTo(Bytes(literal.Text)));
        }

        return null;
    }

    /// <summary>ORDER BY's order: booleans, numbers, strings, arrays and objects (by their JSON text), then null and missing.</summary>
    private static int CompareForOrder(JsonElement? a, JsonElement? b)
    {
        var (ra, rb) = (Rank(a), Rank(b));
        if (ra != rb)
        {
            return ra.CompareTo(rb);
        }

        return ra switch
        {
            1 => (a!.Value.ValueKind == JsonValueKind.True).CompareTo(b!.Value.ValueKind == JsonValueKind.True),
            2 => CompareNumbers(a!.Value.GetRawText(), b!.Value.GetRawText()),
            3 => Math.Sign(Bytes(a!.Value.GetString()!).AsSpan().SequenceCompareTo(Bytes(b!.Value.GetString()!))),
            4 => Math.Sign(Bytes(a!.Value.GetRawText()).AsSpan().SequenceCompareTo(Bytes(b!.Value.GetRawText()))),
            _ => 0,
        };
    }

    private static int Rank(JsonElement? v) => v?.ValueKind switch
    {
        JsonValueKind.True or JsonValueKind.False => 1,
        JsonValueKind.Number => 2,
        JsonValueKind.String => 3,
        JsonValueKind.Array or JsonValueKind.Object => 4,
        _ => 5,
    };

    private static JsonElement? Read(JsonElement doc, string field)
    {
        if (doc.TryGetProperty(field, out var v))
        {
            return v;
        }

        var dot = field.IndexOf('.', StringComparison.Ordinal);
        return dot > 0 && doc.TryGetProperty(field[..dot], out var inner) && inner.ValueKind == JsonValueKind.Object ? Read(inner, field[(dot + 1)..]) : null;
    }

    private static IEnumerable<string> Texts(JsonElement? v) => v?.ValueKind switch
    {
        JsonValueKind.String => [v.Value.GetString()!],
        JsonValueKind.Array => v.Value.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!),
        _ => [],
    };

    /// <summary>Search terms: maximal runs of letters and digits, lower-cased.</summary>
    private static List<string> Terms(string text)
    {
        var terms = new List<string>();
        var word = new StringBuilder();
        foreach (var c in text + " ")
        {
            if (char.IsLetterOrDigit(c))
            {
                word.Append(c);
            }
            else if (word.Length > 0)
            {
                terms.Add(word.ToString().ToLowerInvariant());
                word.Clear();
            }
        }

        return terms;
    }

    private static string Id(JsonElement d) => d.GetProperty("_id").GetString()!;

    private static byte[] Bytes(string s) => Encoding.UTF8.GetBytes(s);

    private static void Number(Utf8JsonWriter writer, string name, double? value)
    {
        if (value is { } x)
        {
            writer.WriteNumber(name, x);
        }
        else
        {
            writer.WriteNull(name);
        }
    }

    private static int CompareNumbers(string a, string b) => ExactDecimal.Compare(a, b);
}
