using System.Text.Json;
using System.Text.Json.Nodes;

namespace Quire.Mongo;

/// <summary>
/// A MongoDB aggregation pipeline over documents already read: stages <c>$match $group
/// $sort $skip $limit $project $count</c>; <c>$group</c> with <c>$sum $avg $min $max
/// $first $last $push $addToSet</c>, grouped by null, a <c>"$field"</c> path or a literal.
/// </summary>
internal static class MongoAggregate
{
    private const string Supported = "Supported: $match $group $sort $skip $limit $count $project.";

    public static List<JsonObject> Run(List<JsonObject> rows, JsonNode? pipeline)
    {
        if (pipeline is not JsonArray stages)
        {
            throw new MongoException("pipeline must be a list of stages");
        }

        foreach (var stage in stages)
        {
            if (stage is not JsonObject { Count: 1 } one)
            {
                throw new MongoException("each stage is an object with one key");
            }

            var (name, spec) = one.First();
            rows = name switch
            {
                "$match" => rows.Where(new MongoFilter(spec).Matches).ToList(),
                "$sort" => Sort(rows, spec),
                "$skip" => rows.Skip(Count(name, spec)).ToList(),
                "$limit" => rows.Take(Count(name, spec)).ToList(),
                "$count" => MongoValues.Kind(spec) == JsonValueKind.String ? [new JsonObject { [spec!.GetValue<string>()] = rows.Count }] : throw new MongoException("$count takes a field name"),
                "$project" => Project(rows, spec),
                "$group" => Group(rows, spec),
                _ => throw new MongoException($"Aggregation stage '{name}' is not yet supported. {Supported}"),
            };
        }

        return rows;
    }

    /// <summary>Sorts by <c>{field: 1|-1, ...}</c>, stable, in the cross-type order of <see cref="MongoValues.Compare"/>.</summary>
    public static List<JsonObject> Sort(List<JsonObject> rows, JsonNode? spec)
    {
        var keys = spec switch
        {
            JsonObject obj => obj.Select(p => (p.Key, Descending: MongoValues.IsNumber(p.Value) && MongoValues.Number(p.Value!) < 0)).ToList(),
            JsonArray pairs => pairs.Select(p => p is JsonArray { Count: 2 } pair && MongoValues.Kind(pair[0]) == JsonValueKind.String
                ? (pair[0]!.GetValue<string>(), MongoValues.IsNumber(pair[1]) && MongoValues.Number(pair[1]!) < 0)
                : throw new MongoException("sort pairs are [field, direction]")).ToList(),
            { } one when MongoValues.Kind(one) == JsonValueKind.String => [(one.GetValue<string>(), false)],
            null => [],
            _ => throw new MongoException("sort must be an object of field: 1 or -1"),
        };
        IOrderedEnumerable<JsonObject>? ordered = null;
        foreach (var (field, descending) in keys)
        {
            var comparer = Comparer<JsonNode?>.Create(MongoValues.Compare);
            Func<JsonObject, JsonNode?> key = row => MongoValues.Get(row, field, out _);
            ordered = ordered is null
                ? (descending ? rows.OrderByDescending(key, comparer) : rows.OrderBy(key, comparer))
                : (descending ? ordered.ThenByDescending(key, comparer) : ordered.ThenBy(key, comparer));
        }

        return ordered?.ToList() ?? rows;
    }

    private static int Count(string stage, JsonNode? spec) =>
        MongoValues.IsNumber(spec) && MongoValues.Number(spec!) is var n && n >= 0 && n == Math.Floor(n) ? (int)Math.Min(n, int.MaxValue) : throw new MongoException($"{stage} takes a non-negative integer");

    private static List<JsonObject> Project(List<JsonObject> rows, JsonNode? spec)
    {
        if (spec is not JsonObject fields || fields.Count == 0)
        {
            throw new MongoException("$project takes an object of fields");
        }

        var include = fields.Where(p => p.Key != "_id").Select(p => Truthy(p.Value)).Distinct().ToList();
        if (include.Count > 1)
        {
            throw new MongoException("$project cannot mix inclusion and exclusion");
        }

        var inclusion = include.Count == 0 ? !fields.TryGetPropertyValue("_id", out var idOnly) || Truthy(idOnly) : include[0];
        var keepId = !fields.TryGetPropertyValue("_id", out var id) || Truthy(id);
        return rows.Select(row =>
        {
            var projected = new JsonObject();
            foreach (var (key, value) in row)
            {
                var listed = fields.ContainsKey(key);
                var keep = key == "_id" ? keepId : inclusion ? listed : !listed;
                if (keep)
                {
                    projected[key] = value?.DeepClone();
                }
            }

            return projected;
        }).ToList();
    }

    private static bool Truthy(JsonNode? value) => MongoValues.Kind(value) switch
    {
        JsonValueKind.False or JsonValueKind.Null => false,
        JsonValueKind.Number => MongoValues.Number(value!) != 0,
        _ => true,
    };

    private static List<JsonObject> Group(List<JsonObject> rows, JsonNode? spec)
    {
        if (spec is not JsonObject group || !group.TryGetPropertyValue("_id", out var by))
        {
            throw new MongoException("$group needs an _id");
        }

        var groups = new List<(JsonNode? Key, List<JsonObject> Rows)>();
        foreach (var row in rows)
        {
            var key = Evaluate(by, row);
            var found = groups.FindIndex(g => MongoValues.Equal(g.Key, key));
            if (found < 0)
            {
                groups.Add((key, [row]));
            }
            else
            {
                groups[found].Rows.Add(row);
            }
        }

        return groups.Select(g =>
        {
            var result = new JsonObject { ["_id"] = g.Key?.DeepClone() };
            foreach (var (name, accumulator) in group)
            {
                if (name != "_id")
                {
                    result[name] = Accumulate(accumulator, g.Rows);
                }
            }

            return result;
        }).ToList();
    }

    /// <summary>An expression: <c>"$path"</c> reads the row's field (missing: null); an object evaluates each member; anything else is itself.</summary>
    private static JsonNode? Evaluate(JsonNode? expression, JsonObject row) => expression switch
    {
        JsonValue value when value.GetValueKind() == JsonValueKind.String && value.GetValue<string>() is ['$', .. var path] => MongoValues.Get(row, path, out _)?.DeepClone(),
        JsonObject obj => new JsonObject(obj.Select(p => KeyValuePair.Create(p.Key, Evaluate(p.Value, row)))),
        _ => expression?.DeepClone(),
    };

    private static JsonNode? Accumulate(JsonNode? accumulator, List<JsonObject> rows)
    {
        if (accumulator is not JsonObject { Count: 1 } one)
        {
            throw new MongoException("an accumulator is an object with one operator");
        }

        var (op, expression) = one.First();
        var values = rows.Select(r => Evaluate(expression, r)).ToList();
        var numbers = values.Where(MongoValues.IsNumber).Select(v => MongoValues.Number(v!)).ToList();
        return op switch
        {
            "$sum" => Number(numbers.Sum()),
            "$avg" => numbers.Count == 0 ? null : JsonValue.Create(numbers.Average()),
            "$min" => numbers.Count == 0 ? null : Number(numbers.Min()),
            "$max" => numbers.Count == 0 ? null : Number(numbers.Max()),
            "$first" => values.FirstOrDefault()?.DeepClone(),
            "$last" => values.LastOrDefault()?.DeepClone(),
            "$push" => new JsonArray([.. values.Select(v => v?.DeepClone())]),
            "$addToSet" => new JsonArray([.. values.Where((v, i) => values.FindIndex(w => MongoValues.Equal(w, v)) == i).Select(v => v?.DeepClone())]),
            _ => throw new MongoException($"Unsupported accumulator '{op}'"),
        };
    }

    private static JsonValue Number(double n) => n == Math.Floor(n) && Math.Abs(n) < 9e15 ? JsonValue.Create((long)n) : JsonValue.Create(n);
}
