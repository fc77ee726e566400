using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Quire.Documents;

/// <summary>
/// How a document is stored: its JSON object with <c>_id</c> first and no <c>_seq</c>
/// (the seq is the key's version, known only once the op is sequenced). Reading adds
/// <c>_seq</c> at the end.
/// </summary>
internal static class DocumentCodec
{
    private static readonly JsonWriterOptions WriterOptions = new() { SkipValidation = true };

    /// <summary>The stored form of <paramref name="document"/> written as <paramref name="id"/>.</summary>
    /// <exception cref="InvalidDocumentException">It is not an object, or is larger than <paramref name="maxBytes"/>.</exception>
    public static byte[] Encode(string id, JsonElement document, int maxBytes)
    {
        if (document.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidDocumentException($"a document must be a JSON object, not {Describe(document.ValueKind)}");
        }

        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("_id", id);
            foreach (var property in document.EnumerateObject())
            {
                if (property.NameEquals("_id") || property.NameEquals("_seq"))
                {
                    continue;
                }

                property.WriteTo(writer);
            }

            writer.WriteEndObject();
        }

        if (buffer.WrittenCount > maxBytes)
        {
            throw new InvalidDocumentException($"a document of {buffer.WrittenCount} bytes exceeds the limit of {maxBytes} bytes");
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The document as readers see it: the stored form with <c>"_seq": seq</c> added last.</summary>
    public static byte[] WithSeq(ReadOnlySpan<byte> stored, long seq)
    {
        var tail = Encoding.UTF8.GetBytes($",\"_seq\":{seq.ToString(CultureInfo.InvariantCulture)}}}");
        var result = new byte[stored.Length - 1 + tail.Length];
        stored[..^1].CopyTo(result);
        tail.CopyTo(result.AsSpan(stored.Length - 1));
        return result;
    }

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "nothing",
    };
}
