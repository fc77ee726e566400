using System.Text.Json;
using System.Text.Json.Nodes;

namespace Quire.Mongo;

/// <summary>
/// A MongoDB update: a replacement document (no <c>$</c> keys; <c>_id</c> kept), or
/// operators <c>$set $unset $inc $push</c> (with <c>$each</c>) <c>$pull</c> (a value or a
/// condition) and <c>$setOnInsert</c> (only when an upsert inserts). Paths are dotted;
/// <c>$set</c> makes the objects on its way.
/// </summary>
internal static class MongoUpdate
{
    /// <summary>True when <paramref name="update"/> is made of operators.</summary>
    public static bool IsOperators(JsonObject update) => update.Count > 0 && update.All(p => p.Key.StartsWith('$'));

    /// <summary>The document after the update (a new object; <paramref name="document"/> is left as it was).</summary>
    public static JsonObject Apply(JsonObject document, JsonNode? update, bool inserting)
    {
        if (update is not JsonObject spec)
        {
            throw new MongoException("update must be an object");
        }

        var result = document.DeepClone().AsObject();
        if (!IsOperators(spec))
        {
            if (spec.Any(p => p.Key.StartsWith('$')))
            {
                throw new MongoException("an update mixes operators and fields");
            }

            var replaced = spec.DeepClone().AsObject();
            if (result.TryGetPropertyValue("_id", out var id))
            {
                replaced["_id"] = id?.DeepClone();
            }

            return replaced;
        }

        foreach (var (op, fields) in spec)
        {
            if (fields is not JsonObject assignments)
            {
                throw new MongoException($"{op} takes an object of fields");
            }

            foreach (var (path, value) in assignments)
            {
                if (path is "_id" && op is not "$setOnInsert")
                {
                    throw new MongoException("_id cannot be updated");
                }

                switch (op)
                {
                    case "$set":
                        Set(result, path, value?.DeepClone());
                        break;
                    case "$setOnInsert":
                        if (inserting)
                        {
                            Set(result, path, value?.DeepClone());
                        }

                        break;
                    case "$unset":
                        Remove(result, path);
                        break;
                    case "$inc":
                        if (!MongoValues.IsNumber(value))
                        {
                            throw new MongoException("$inc takes numbers");
                        }

                        var current = MongoValues.Get(result, path, out _);
                        Set(result, path, Add(MongoValues.IsNumber(current) ? current : null, value!));
                        break;
                    case "$push":
                        var items = value is JsonObject each && each.TryGetPropertyValue("$each", out var list)
                            ? (list as JsonArray ?? throw new MongoException("$each takes a list")).Select(i => i?.DeepClone())
                            : [value?.DeepClone()];
                        var array = MongoValues.Get(result, path, out _) as JsonArray ?? [];
                        var pushed = new JsonArray([.. array.Select(i => i?.DeepClone()), .. items]);
                        Set(result, path, pushed);
                        break;
                    case "$pull":
                        if (MongoValues.Get(result, path, out _) is JsonArray held)
                        {
                            var condition = value is JsonObject ops && ops.Count > 0 && ops.All(p => p.Key.StartsWith('$')) ? new MongoFilter(new JsonObject { ["v"] = value.DeepClone() }) : null;
                            var kept = held.Where(item => condition is null ? !MongoValues.Equal(item, value) : !condition.Matches(new JsonObject { ["v"] = item?.DeepClone() }));
                            Set(result, path, new JsonArray([.. kept.Select(i => i?.DeepClone())]));
                        }

                        break;
                    default:
                        throw new MongoException($"Unsupported update operator '{op}'");
                }
            }
        }

        return result;
    }

    private static JsonValue Add(JsonNode? current, JsonNode increment)
    {
        var (a, b) = (current is null ? 0 : MongoValues.Number(current), MongoValues.Number(increment));
        var sum = a + b;
        return sum == Math.Floor(sum) && Math.Abs(sum) < 9e15 && (current is null || !current.ToJsonString().Contains('.')) && !increment.ToJsonString().Contains('.')
            ? JsonValue.Create((long)sum)
            : JsonValue.Create(sum);
    }

    private static void Set(JsonObject document, string path, JsonNode? value)
    {
        var parts = path.Split('.');
        var node = document;
        foreach (var part in parts[..^1])
        {
            if (node[part] is not JsonObject next)
            {
                next = [];
                node[part] = next;
            }

            node = next;
        }

        node[parts[^1]] = value;
    }

    private static void Remove(JsonObject document, string path)
    {
        var parts = path.Split('.');
        var parent = parts.Length == 1 ? document : MongoValues.Get(document, string.Join('.', parts[..^1]), out _);
        (parent as JsonObject)?.Remove(parts[^1]);
    }

    /// <summary>The fields an upsert starts from: the filter's top-level fields with plain values.</summary>
    public static JsonObject Seed(JsonObject filter)
    {
        var seed = new JsonObject();
        foreach (var (key, value) in filter)
        {
            if (!key.StartsWith('$') && MongoValues.Kind(value) is not (JsonValueKind.Object or JsonValueKind.Array))
            {
                seed[key] = value?.DeepClone();
            }
        }

        return seed;
    }
}
