using System.Buffers;
using System.Text;
using System.Text.Unicode;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Quire.Server.Resp;

/// <summary>
/// How a Redis string is kept in a document, as nedbd keeps it: <c>{"_v": "&lt;value&gt;"}</c>.
/// A value that is not valid UTF-8 (a JSON string cannot hold it) is <c>{"_b64":
/// "&lt;base64&gt;"}</c> instead, so any byte string round-trips and NQL still sees it, encoded.
/// </summary>
internal static class RedisValues
{
    private static readonly JsonWriterOptions Relaxed = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    // Each thread's buffer and writer for the documents it builds (a SET builds one per value).
    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    /// <summary>The document holding <paramref name="value"/> (with <paramref name="expiresAt"/>, epoch seconds, when it has one).</summary>
    public static JsonElement Document(ReadOnlySpan<byte> value, double? expiresAt = null)
    {
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(256);
        buffer.ResetWrittenCount();
        var writer = t_writer ??= new Utf8JsonWriter(buffer, Relaxed);
        writer.Reset(buffer);
        writer.WriteStartObject();
        if (Utf8.IsValid(value))
        {
            writer.WriteString("_v"u8, value);
        }
        else
        {
            writer.WriteBase64String("_b64"u8, value);
        }

        if (expiresAt is { } at)
        {
            writer.WriteNumber("_expires_at"u8, at);
        }

        writer.WriteEndObject();
        writer.Flush();
        var reader = new Utf8JsonReader(buffer.WrittenSpan);
        var document = JsonElement.ParseValue(ref reader);   // its own copy, sized to fit
        if (buffer.Capacity > 64 * 1024)
        {
            t_buffer = null;   // a large value's buffer is not kept
            t_writer = null;
        }

        return document;
    }

    /// <summary>A set member's document: empty, or only its key's expiry.</summary>
    public static JsonElement Member(double? expiresAt) =>
        JsonDocument.Parse(expiresAt is { } at ? $"{{\"_expires_at\":{at.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}}}" : "{}").RootElement;

    /// <summary>A stored document again, with <paramref name="expiresAt"/> as its expiry (none when null); its <c>_id</c> and <c>_seq</c> left out.</summary>
    public static JsonElement WithExpiry(ReadOnlySpan<byte> json, double? expiresAt)
    {
        using var source = JsonDocument.Parse(json.ToArray());
        var buffer = new ArrayBufferWriter<byte>(json.Length + 32);
        using (var writer = new Utf8JsonWriter(buffer, Relaxed))
        {
            writer.WriteStartObject();
            foreach (var property in source.RootElement.EnumerateObject())
            {
                if (property.Name is not ("_id" or "_seq" or "_expires_at"))
                {
                    property.WriteTo(writer);
                }
            }

            if (expiresAt is { } at)
            {
                writer.WriteNumber("_expires_at"u8, at);
            }

            writer.WriteEndObject();
        }

        return JsonDocument.Parse(buffer.WrittenMemory).RootElement;
    }

    /// <summary>The Redis string a stored document holds, or null when it holds none (not a string key).</summary>
    public static byte[]? ValueOf(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return null;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isValue = reader.ValueTextEquals("_v"u8);
            var isBase64 = !isValue && reader.ValueTextEquals("_b64"u8);
            reader.Read();
            if (isValue && reader.TokenType == JsonTokenType.String)
            {
                return reader.ValueIsEscaped ? Encoding.UTF8.GetBytes(reader.GetString()!) : reader.ValueSpan.ToArray();
            }

            if (isValue && reader.TokenType == JsonTokenType.Number)
            {
                return reader.ValueSpan.ToArray();   // written by a JSON client: its text is the value
            }

            if (isBase64 && reader.TokenType == JsonTokenType.String && reader.TryGetBytesFromBase64(out var bytes))
            {
                return bytes;
            }

            reader.Skip();
        }

        return null;
    }

    /// <summary>The document's <c>_expires_at</c> (epoch seconds), or null when it has none.</summary>
    public static double? ExpiresAt(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        reader.Read();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isExpiry = reader.ValueTextEquals("_expires_at"u8);
            reader.Read();
            if (isExpiry && reader.TokenType == JsonTokenType.Number)
            {
                return reader.GetDouble();
            }

            reader.Skip();
        }

        return null;
    }
}
