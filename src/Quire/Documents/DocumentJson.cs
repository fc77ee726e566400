using System.Text.Json;

namespace Quire.Documents;

/// <summary>Parses documents from JSON text, turning malformed input into <see cref="InvalidDocumentException"/>.</summary>
public static class DocumentJson
{
    private static readonly JsonDocumentOptions Options = new() { MaxDepth = 64 };

    /// <summary>Parses UTF-8 JSON; dispose the result when done.</summary>
    /// <exception cref="InvalidDocumentException">The text is not JSON (the message says where), or nests deeper than 64.</exception>
    public static JsonDocument Parse(ReadOnlyMemory<byte> utf8)
    {
        try
        {
            return JsonDocument.Parse(utf8, Options);
        }
        catch (JsonException ex)
        {
            throw new InvalidDocumentException($"invalid JSON: {ex.Message}", ex);
        }
    }

    /// <summary>Parses JSON text; dispose the result when done.</summary>
    /// <exception cref="InvalidDocumentException">The text is not JSON, or nests deeper than 64.</exception>
    public static JsonDocument Parse(string text)
    {
        try
        {
            return JsonDocument.Parse(text, Options);
        }
        catch (JsonException ex)
        {
            throw new InvalidDocumentException($"invalid JSON: {ex.Message}", ex);
        }
    }
}
