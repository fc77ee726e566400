using System.Text.Json;

namespace Quire.Server.Service;

/// <summary>Reads typed fields of a request's JSON object; a field of the wrong type is a bad-input error that names it.</summary>
internal static class RequestFields
{
    /// <summary>The string field, or null when absent, null or not a string.</summary>
    public static string? String(JsonElement body, string name) =>
        body.ValueKind == JsonValueKind.Object && body.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    /// <summary>The field when present and not null.</summary>
    public static JsonElement? Value(JsonElement body, string name) =>
        body.ValueKind == JsonValueKind.Object && body.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;

    /// <summary>The integer field, or null when absent.</summary>
    /// <exception cref="ServiceException">It is not an integer (the message starts with <paramref name="what"/>).</exception>
    public static long? Integer(JsonElement body, string name, string what)
    {
        if (Value(body, name) is not { } value)
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var number)
            ? number
            : throw ServiceException.BadInput($"{what}: {name} must be an integer");
    }

    /// <summary>The number field (fractions allowed), or null when absent.</summary>
    /// <exception cref="ServiceException">It is not a finite number.</exception>
    public static double? Number(JsonElement body, string name, string what)
    {
        if (Value(body, name) is not { } value)
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var number) && double.IsFinite(number)
            ? number
            : throw ServiceException.BadInput($"{what}: {name} must be a number");
    }

    /// <summary>The object field, or null when absent.</summary>
    /// <exception cref="ServiceException">It is not an object.</exception>
    public static JsonElement? Object(JsonElement body, string name, string what) => Value(body, name) switch
    {
        null => null,
        { ValueKind: JsonValueKind.Object } value => value,
        _ => throw ServiceException.BadInput($"{what}: {name} must be an object"),
    };
}
