using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Quire.Mongo;

/// <summary>
/// The NQL query whose rows hold every document a Mongo filter can match, so the planner
/// and NQL's indexes serve Mongo filters too: the filter's top-level equalities on plain
/// values (<c>{f: v}</c>, <c>{f: {$eq: v}}</c>, v a string, number or boolean) become
/// <c>f = v</c>. NQL's <c>=</c> is Mongo's there (equal by value, or an array holding the
/// value), so no match is lost; the Mongo filter still decides every row. Other conditions
/// (ranges, which in Mongo also match arrays by any element, <c>$or</c>, ...) are left to
/// the filter.
/// </summary>
internal static class MongoCandidates
{
    private static readonly HashSet<string> Keywords = new(StringComparer.OrdinalIgnoreCase)
    {
        "from", "where", "and", "or", "order", "by", "asc", "desc", "limit", "group", "search", "traverse", "trace",
        "reverse", "as", "of", "valid", "count", "sum", "avg", "min", "max", "explain", "true", "false", "null",
    };

    /// <summary>The NQL text, or null when the collection or no condition can be written in NQL (then every document is a candidate).</summary>
    public static string? Nql(string collection, JsonObject filter)
    {
        if (!IsWord(collection))
        {
            return null;
        }

        var conditions = new List<string>();
        foreach (var (field, condition) in filter)
        {
            var value = condition is JsonObject { Count: 1 } ops && ops.ContainsKey("$eq") ? ops["$eq"] : condition;
            if (field.StartsWith('$') || !IsWord(field) || Literal(value) is not { } literal)
            {
                continue;
            }

            conditions.Add($"{field} = {literal}");
        }

        return conditions.Count == 0 ? null : $"FROM {collection} WHERE {string.Join(" AND ", conditions)}";
    }

    private static string? Literal(JsonNode? value) => MongoValues.Kind(value) switch
    {
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        JsonValueKind.Number => value!.ToJsonString() is var number && double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out _) ? number : null,
        JsonValueKind.String => Quote(value!.GetValue<string>()),
        _ => null,
    };

    /// <summary>The text as an NQL string literal, or null when it holds a backslash (an escape in NQL) or both quotes.</summary>
    private static string? Quote(string text) =>
        text.Contains('\\', StringComparison.Ordinal) ? null
        : !text.Contains('"', StringComparison.Ordinal) ? $"\"{text}\""
        : !text.Contains('\'', StringComparison.Ordinal) ? $"'{text}'"
        : null;

    private static bool IsWord(string name) =>
        name.Length > 0 && (char.IsAsciiLetter(name[0]) || name[0] == '_') && !Keywords.Contains(name)
        && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.') && !name.EndsWith('.') && !name.Contains("..", StringComparison.Ordinal);
}
