using System.Text.Json;

namespace Quire.Indexes;

/// <summary>Reads a field of a document: a top-level name, or a dotted path into nested objects.</summary>
public static class FieldPath
{
    /// <summary>
    /// The value at <paramref name="field"/>, or false when it is missing. A property whose
    /// name is the whole of <paramref name="field"/> wins over a dotted path.
    /// </summary>
    public static bool TryRead(JsonElement document, string field, out JsonElement value)
    {
        if (document.ValueKind != JsonValueKind.Object)
        {
            value = default;
            return false;
        }

        if (document.TryGetProperty(field, out value))
        {
            return true;
        }

        var dot = field.IndexOf('.', StringComparison.Ordinal);
        if (dot <= 0 || dot == field.Length - 1)
        {
            return false;
        }

        return document.TryGetProperty(field[..dot], out var inner) && TryRead(inner, field[(dot + 1)..], out value);
    }
}
