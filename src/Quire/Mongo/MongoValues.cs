using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Quire.Mongo;

/// <summary>
/// How the MongoDB-style API compares JSON values: numbers by value (1 = 1.0), and an
/// order across types as nedb's (missing and null, then booleans, numbers, strings,
/// anything else by its JSON text).
/// </summary>
internal static class MongoValues
{
    /// <summary>The value at a dotted path (object hops only), or <paramref name="found"/> false when missing.</summary>
    public static JsonNode? Get(JsonNode? document, string path, out bool found)
    {
        var node = document;
        foreach (var part in path.Split('.'))
        {
            if (node is not JsonObject obj || !obj.TryGetPropertyValue(part, out var next))
            {
                found = false;
                return null;
            }

            node = next;
        }

        found = true;
        return node;
    }

    public static JsonValueKind Kind(JsonNode? node) => node?.GetValueKind() ?? JsonValueKind.Null;

    public static bool IsNumber(JsonNode? node) => Kind(node) == JsonValueKind.Number;

    public static double Number(JsonNode node) => double.Parse(node.ToJsonString(), CultureInfo.InvariantCulture);

    /// <summary>Equal by value: numbers numerically, arrays and objects member by member.</summary>
    public static bool Equal(JsonNode? a, JsonNode? b)
    {
        var (ka, kb) = (Kind(a), Kind(b));
        if (ka == JsonValueKind.Number && kb == JsonValueKind.Number)
        {
            return Number(a!) == Number(b!);
        }

        if (ka != kb)
        {
            return false;   // an array never equals an object (they share a sort bucket), true never false
        }

        return ka switch
        {
            JsonValueKind.Null or JsonValueKind.True or JsonValueKind.False => true,
            JsonValueKind.String => a!.GetValue<string>() == b!.GetValue<string>(),
            JsonValueKind.Array => a!.AsArray().Count == b!.AsArray().Count && a.AsArray().Zip(b.AsArray()).All(p => Equal(p.First, p.Second)),
            JsonValueKind.Object => a!.AsObject().Count == b!.AsObject().Count
                && a.AsObject().All(p => b.AsObject().TryGetPropertyValue(p.Key, out var other) && Equal(p.Value, other)),
            _ => false,
        };
    }

    /// <summary>The sort order: null &lt; booleans &lt; numbers &lt; strings &lt; anything else (by JSON text).</summary>
    public static int Compare(JsonNode? a, JsonNode? b)
    {
        var (ka, kb) = (Kind(a), Kind(b));
        var bucket = Bucket(ka).CompareTo(Bucket(kb));
        if (bucket != 0)
        {
            return bucket;
        }

        return ka switch
        {
            JsonValueKind.Null => 0,
            JsonValueKind.True or JsonValueKind.False => (ka == JsonValueKind.True).CompareTo(kb == JsonValueKind.True),
            JsonValueKind.Number => Number(a!).CompareTo(Number(b!)),
            JsonValueKind.String => string.CompareOrdinal(a!.GetValue<string>(), b!.GetValue<string>()),
            _ => string.CompareOrdinal(a!.ToJsonString(), b!.ToJsonString()),
        };
    }

    /// <summary>True when both are numbers or both strings: the only pairs <c>$gt</c> and friends compare.</summary>
    public static bool Comparable(JsonNode? a, JsonNode? b) =>
        (Kind(a), Kind(b)) is (JsonValueKind.Number, JsonValueKind.Number) or (JsonValueKind.String, JsonValueKind.String);

    private static int Bucket(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Null or JsonValueKind.Undefined => 0,
        JsonValueKind.True or JsonValueKind.False => 1,
        JsonValueKind.Number => 2,
        JsonValueKind.String => 3,
        _ => 4,
    };

    /// <summary>A new ObjectId as MongoDB writes it: 24 hex digits of time, a per-process random part and a counter.</summary>
    public static string NewObjectId()
    {
        var counter = (uint)Interlocked.Increment(ref s_counter) & 0xFFFFFF;
        var seconds = (uint)DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        return string.Create(CultureInfo.InvariantCulture, $"{seconds:x8}{ProcessPart}{counter:x6}");
    }

    private static readonly string ProcessPart = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(5));
    private static int s_counter = System.Security.Cryptography.RandomNumberGenerator.GetInt32(0xFFFFFF);
}
