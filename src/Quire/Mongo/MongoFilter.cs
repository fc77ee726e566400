using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Quire.Mongo;

/// <summary>
/// A MongoDB query filter: top-level <c>$and</c>, <c>$or</c>, <c>$nor</c>, <c>$not</c>; per
/// field (dotted paths) a value (equality; an array field matches when it holds the value)
/// or operators <c>$eq $ne $gt $gte $lt $lte $in $nin $exists $regex</c> (with
/// <c>$options</c> i, m, s, x) <c>$not $size $all</c>. A missing field equals null;
/// <c>$gt</c> and friends compare numbers with numbers and strings with strings only.
/// </summary>
internal sealed class MongoFilter
{
    private static readonly TimeSpan RegexTimeout = TimeSpan.FromMilliseconds(100);
    private readonly JsonObject _filter;

    public MongoFilter(JsonNode? filter)
    {
        _filter = filter switch
        {
            null => [],
            JsonObject obj => obj,
            _ => throw new MongoException("filter must be an object"),
        };
        Matches(new JsonObject());   // checks every operator once, so a bad filter fails before anything is read
    }

    /// <summary>The filter as given.</summary>
    public JsonObject Source => _filter;

    /// <summary>The <c>_id</c> the filter pins, when it is <c>{_id: scalar, ...}</c>.</summary>
    public string? PinnedId => _filter.TryGetPropertyValue("_id", out var id) && MongoValues.Kind(id) is JsonValueKind.String or JsonValueKind.Number
        ? (MongoValues.Kind(id) == JsonValueKind.String ? id!.GetValue<string>() : id!.ToJsonString())
        : null;

    public bool Matches(JsonNode document) => MatchAll(_filter, document);

    private static bool MatchAll(JsonObject filter, JsonNode document)
    {
        var all = true;
        foreach (var (key, condition) in filter)
        {
            all &= key switch
            {
                "$and" => Clauses(key, condition).All(c => MatchAll(c, document)),
                "$or" => Clauses(key, condition).Any(c => MatchAll(c, document)),
                "$nor" => !Clauses(key, condition).Any(c => MatchAll(c, document)),
                "$not" => condition is JsonObject sub ? !MatchAll(sub, document) : throw new MongoException("$not takes a filter"),
                _ when key.StartsWith('$') => throw new MongoException($"Unsupported top-level operator '{key}'"),
                _ => MatchField(MongoValues.Get(document, key, out var found), found, condition),
            };
        }

        return all;
    }

    private static List<JsonObject> Clauses(string op, JsonNode? condition) =>
        condition is JsonArray list && list.All(c => c is JsonObject)
            ? list.Select(c => c!.AsObject()).ToList()
            : throw new MongoException($"{op} takes a list of filters");

    private static bool MatchField(JsonNode? actual, bool found, JsonNode? condition)
    {
        if (condition is not JsonObject ops || ops.Count == 0 || !ops.All(p => p.Key.StartsWith('$')))
        {
            return EqualOrHolds(actual, found, condition);
        }

        var all = true;
        foreach (var (op, operand) in ops)
        {
            all &= op switch
            {
                "$eq" => EqualOrHolds(actual, found, operand),
                "$ne" => !EqualOrHolds(actual, found, operand),
                "$gt" => AnyValue(actual, v => MongoValues.Comparable(v, operand) && MongoValues.Compare(v, operand) > 0),
                "$gte" => AnyValue(actual, v => MongoValues.Comparable(v, operand) && MongoValues.Compare(v, operand) >= 0),
                "$lt" => AnyValue(actual, v => MongoValues.Comparable(v, operand) && MongoValues.Compare(v, operand) < 0),
                "$lte" => AnyValue(actual, v => MongoValues.Comparable(v, operand) && MongoValues.Compare(v, operand) <= 0),
                "$in" => List(op, operand).Any(v => EqualOrHolds(actual, found, v)),
                "$nin" => !List(op, operand).Any(v => EqualOrHolds(actual, found, v)),
                "$exists" => found == Truthy(operand),
                "$regex" => Regex(operand, ops["$options"]) is var regex && AnyValue(actual, v => MongoValues.Kind(v) == JsonValueKind.String && regex.IsMatch(v!.GetValue<string>())),
                "$options" => ops.ContainsKey("$regex") ? true : throw new MongoException("$options needs $regex"),
                "$not" => !MatchField(actual, found, operand),
                "$size" => actual is JsonArray array && MongoValues.IsNumber(operand) && array.Count == MongoValues.Number(operand!),
                "$all" => actual is JsonArray held && List(op, operand).All(v => held.Any(h => MongoValues.Equal(h, v))),
                _ => throw new MongoException($"Unsupported query operator '{op}'"),
            };
        }

        return all;
    }

    /// <summary>Equality as MongoDB's: a missing field equals null; an array equals the value or holds it.</summary>
    private static bool EqualOrHolds(JsonNode? actual, bool found, JsonNode? value)
    {
        if (!found)
        {
            return value is null;
        }

        return MongoValues.Equal(actual, value) || (actual is JsonArray array && value is not JsonArray && array.Any(item => MongoValues.Equal(item, value)));
    }

    /// <summary>The value itself, or for an array any of its items.</summary>
    private static bool AnyValue(JsonNode? actual, Func<JsonNode?, bool> test) =>
        actual is JsonArray array ? array.Any(test) : test(actual);

    private static JsonArray List(string op, JsonNode? operand) =>
        operand as JsonArray ?? throw new MongoException($"{op} takes a list");

    private static bool Truthy(JsonNode? value) => MongoValues.Kind(value) switch
    {
        JsonValueKind.False or JsonValueKind.Null => false,
        JsonValueKind.Number => MongoValues.Number(value!) != 0,
        _ => true,
    };

    private static Regex Regex(JsonNode? pattern, JsonNode? options)
    {
        if (MongoValues.Kind(pattern) != JsonValueKind.String)
        {
            throw new MongoException("$regex takes a string");
        }

        var flags = RegexOptions.CultureInvariant;
        foreach (var letter in MongoValues.Kind(options) == JsonValueKind.String ? options!.GetValue<string>() : "")
        {
            flags |= letter switch
            {
                'i' => RegexOptions.IgnoreCase,
                'm' => RegexOptions.Multiline,
                's' => RegexOptions.Singleline,
                'x' => RegexOptions.IgnorePatternWhitespace,
                _ => RegexOptions.None,
            };
        }

        try
        {
            return new Regex(pattern!.GetValue<string>(), flags, RegexTimeout);
        }
        catch (ArgumentException ex)
        {
            throw new MongoException($"invalid $regex: {ex.Message}");
        }
    }
}
