using System.Text;
using System.Text.Json;
using Quire.Indexes;
using Quire.Keys;

namespace Quire.Query;

/// <summary>
/// What NQL's conditions and orderings mean (docs/nql.md has the table): a missing field
/// reads as null; <c>=</c> and <c>!=</c> compare by value (numbers exactly, 1 = 1.0,
/// "1" != 1), and an array equals a value when it has an element equal to it;
/// <c>&lt; &lt;= &gt; &gt;=</c> hold only between two numbers or two strings (strings by
/// their UTF-8 bytes). ORDER BY and GROUP BY order values as the key encoding does:
/// booleans, numbers, strings, arrays and objects, then null and missing last.
/// </summary>
public static partial class NqlSemantics
{
    /// <summary>True when <paramref name="document"/> satisfies <paramref name="condition"/>.</summary>
    public static bool Matches(JsonElement document, NqlCondition condition)
    {
        var found = FieldPath.TryRead(document, condition.Field, out var value);
        switch (condition.Operator)
        {
            case NqlOperator.Equal:
                return EqualsValue(found ? value : null, condition.Value);
            case NqlOperator.NotEqual:
                return !EqualsValue(found ? value : null, condition.Value);
            default:
                if (!found)
                {
                    return false;
                }

                var order = CompareSameType(value, condition.Value);
                return order is { } c && condition.Operator switch
                {
                    NqlOperator.Less => c < 0,
                    NqlOperator.LessOrEqual => c <= 0,
                    NqlOperator.Greater => c > 0,
                    _ => c >= 0,
                };
        }
    }

    /// <summary>True when the document has every term of <paramref name="search"/> in one of <paramref name="fields"/>' text.</summary>
    public static bool MatchesSearch(JsonElement document, string search, IEnumerable<string> fields)
    {
        var wanted = TextAnalyzer.Terms(search);
        var have = new HashSet<string>(StringComparer.Ordinal);
        foreach (var field in fields)
        {
            if (!FieldPath.TryRead(document, field, out var value))
            {
                continue;
            }

            foreach (var text in value.ValueKind == JsonValueKind.Array ? value.EnumerateArray().ToArray() : [value])
            {
                if (text.ValueKind == JsonValueKind.String)
                {
                    have.UnionWith(TextAnalyzer.Terms(text.GetString()!));
                }
            }
        }

        return wanted.Count > 0 && wanted.All(have.Contains);
    }

    /// <summary>
    /// SEARCH on a collection without a search index, as nedbd's fallback: every run of
    /// letters and digits in the text (lower-cased) must occur somewhere in the document's
    /// top-level values written out as text and lower-cased (so <c>ada</c> finds
    /// "Adamant"); a text without such runs matches every document. A scan: slower than an
    /// index, never different from nedbd.
    /// </summary>
    public static bool MatchesSearchWithoutIndex(JsonElement document, string search)
    {
        var blob = new System.Text.StringBuilder();
        foreach (var property in document.EnumerateObject())
        {
            blob.Append(property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString() : property.Value.GetRawText()).Append(' ');
        }

        var text = blob.ToString().ToLowerInvariant();
        return SearchTokens().Matches(search.ToLowerInvariant()).All(token => text.Contains(token.Value, StringComparison.Ordinal));
    }

    [System.Text.RegularExpressions.GeneratedRegex("[a-z0-9]+")]
    private static partial System.Text.RegularExpressions.Regex SearchTokens();

    /// <summary>The bytes a field's value sorts by (a missing field as null): the key encoding of the value.</summary>
    internal static byte[] SortKey(JsonElement document, string field, KeyBuilder? key = null)
    {
        key = (key ?? new KeyBuilder()).Clear();
        return FieldPath.TryRead(document, field, out var value) ? key.Value(value).ToArray() : key.Null().ToArray();
    }

    /// <summary>The key encoding of a literal, as an index holds it.</summary>
    /// <summary>
    /// <see cref="Encode"/>, except that a number with more digits than an index key keeps is
    /// encoded as the start of its region (<see cref="KeyBuilder.NumberRegion"/>), where its
    /// entries, whole or cut, lie.
    /// </summary>
    internal static KeyBuilder EncodeRegion(KeyBuilder key, NqlValue value) =>
        IsLongNumber(value) ? key.NumberRegion(ExactNumber.Parse(value.Text)) : Encode(key, value);

    /// <summary>Whether a literal is a number with more digits than an index key keeps of a number too long for it.</summary>
    internal static bool IsLongNumber(NqlValue value) =>
        value.Kind == NqlValueKind.Number && value.Text.Length > KeyBuilder.MaxIndexedNumberDigits && ExactNumber.Parse(value.Text).Digits.Length > KeyBuilder.MaxIndexedNumberDigits;

    internal static KeyBuilder Encode(KeyBuilder key, NqlValue value) => value.Kind switch
    {
        NqlValueKind.Number => key.Number(value.Text),
        NqlValueKind.String => key.StringValue(value.Text),
        NqlValueKind.Boolean => key.Boolean(value.Text == "true"),
        _ => key.Null(),
    };

    private static bool EqualsValue(JsonElement? value, NqlValue literal)
    {
        if (value is not { } v || v.ValueKind == JsonValueKind.Null)
        {
            return literal.Kind == NqlValueKind.Null;
        }

        if (v.ValueKind == JsonValueKind.Array)
        {
            foreach (var element in v.EnumerateArray())
            {
                if (element.ValueKind != JsonValueKind.Array && EqualsValue(element, literal))
                {
                    return true;
                }
            }

            return false;
        }

        return literal.Kind switch
        {
            NqlValueKind.Number => v.ValueKind == JsonValueKind.Number && SameNumber(v.GetRawText(), literal.Text),
            NqlValueKind.String => v.ValueKind == JsonValueKind.String && v.GetString() == literal.Text,
            NqlValueKind.Boolean => v.ValueKind is JsonValueKind.True or JsonValueKind.False && (v.ValueKind == JsonValueKind.True) == (literal.Text == "true"),
            _ => false,
        };
    }

    /// <summary>The order of two numbers or two strings; null for any other pair.</summary>
    private static int? CompareSameType(JsonElement value, NqlValue literal)
    {
        if (value.ValueKind == JsonValueKind.Number && literal.Kind == NqlValueKind.Number)
        {
            var a = new KeyBuilder().Number(value.GetRawText()).ToArray();
            var b = new KeyBuilder().Number(literal.Text).ToArray();
            return a.AsSpan().SequenceCompareTo(b);
        }

        if (value.ValueKind == JsonValueKind.String && literal.Kind == NqlValueKind.String)
        {
            return Encoding.UTF8.GetBytes(value.GetString()!).AsSpan().SequenceCompareTo(Encoding.UTF8.GetBytes(literal.Text));
        }

        return null;
    }

    private static bool SameNumber(string a, string b)
    {
        var x = ExactNumber.Parse(a);
        var y = ExactNumber.Parse(b);
        return x.Sign == y.Sign && x.Exponent == y.Exponent && x.Digits == y.Digits;
    }
}
