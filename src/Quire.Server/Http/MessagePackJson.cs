using System.Buffers;
using System.Text.Json;
using MessagePack;
using Quire.Server.Service;

namespace Quire.Server.Http;

/// <summary>
/// A MessagePack request body (<c>Content-Type: application/msgpack</c>) read as the JSON it
/// stands for, so a route takes the same fields either way: maps with string keys become
/// objects, arrays arrays, strings, integers, floats, booleans and nil their JSON kin, and
/// binary base64 strings. Anything else (a map key that is not a string, an extension type,
/// nesting past 64 levels, trailing bytes) is refused as 400 <c>invalid MessagePack body</c>.
/// </summary>
internal static class MessagePackJson
{
    private const int MaxDepth = 64;

    /// <summary>True when the request says its body is MessagePack.</summary>
    public static bool IsMessagePack(string? contentType) =>
        contentType is not null && (contentType.StartsWith("application/msgpack", StringComparison.OrdinalIgnoreCase)
            || contentType.StartsWith("application/x-msgpack", StringComparison.OrdinalIgnoreCase)
            || contentType.StartsWith("application/vnd.msgpack", StringComparison.OrdinalIgnoreCase));

    /// <exception cref="ServiceException">Not MessagePack that JSON can hold.</exception>
    public static byte[] ToJson(ReadOnlySequence<byte> body)
    {
        try
        {
            var buffer = new ArrayBufferWriter<byte>(checked((int)body.Length * 2) + 16);
            var reader = new MessagePackReader(body);
            using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { SkipValidation = false }))
            {
                Copy(ref reader, writer, 0);
            }

            if (!reader.End)
            {
                throw Invalid("bytes after the value");
            }

            return buffer.WrittenSpan.ToArray();
        }
        catch (Exception ex) when (ex is MessagePackSerializationException or EndOfStreamException or InvalidOperationException or OverflowException or ArgumentException)
        {
            throw Invalid(ex.Message);
        }
    }

    private static void Copy(ref MessagePackReader reader, Utf8JsonWriter writer, int depth)
    {
        if (depth > MaxDepth)
        {
            throw Invalid($"nested deeper than {MaxDepth} levels");
        }

        switch (reader.NextMessagePackType)
        {
            case MessagePackType.Nil:
                reader.ReadNil();
                writer.WriteNullValue();
                break;
            case MessagePackType.Boolean:
                writer.WriteBooleanValue(reader.ReadBoolean());
                break;
            case MessagePackType.Integer:
                if (reader.NextCode == MessagePackCode.UInt64)
                {
                    writer.WriteNumberValue(reader.ReadUInt64());
                }
                else
                {
                    writer.WriteNumberValue(reader.ReadInt64());
                }

                break;
            case MessagePackType.Float:
                var number = reader.ReadDouble();
                if (!double.IsFinite(number))
                {
                    throw Invalid("a float that is not finite");
                }

                writer.WriteNumberValue(number);
                break;
            case MessagePackType.String:
                writer.WriteStringValue(reader.ReadString());
                break;
            case MessagePackType.Binary:
                writer.WriteBase64StringValue(reader.ReadBytes()!.Value.ToArray());
                break;
            case MessagePackType.Array:
                var items = reader.ReadArrayHeader();
                writer.WriteStartArray();
                for (var i = 0; i < items; i++)
                {
                    Copy(ref reader, writer, depth + 1);
                }

                writer.WriteEndArray();
                break;
            case MessagePackType.Map:
                var pairs = reader.ReadMapHeader();
                writer.WriteStartObject();
                for (var i = 0; i < pairs; i++)
                {
                    if (reader.NextMessagePackType != MessagePackType.String)
                    {
                        throw Invalid("a map key that is not a string");
                    }

                    writer.WritePropertyName(reader.ReadString()!);
                    Copy(ref reader, writer, depth + 1);
                }

                writer.WriteEndObject();
                break;
            default:
                throw Invalid($"a value of type {reader.NextMessagePackType}");
        }
    }

    private static ServiceException Invalid(string why) => ServiceException.BadInput($"invalid MessagePack body: {why}");
}
