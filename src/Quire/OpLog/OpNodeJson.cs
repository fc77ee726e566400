using System.Text.Json;
using Quire.Storage.Format;

namespace Quire.OpLog;

/// <summary>
/// Writes an op-log record as its change-feed node, <see cref="OpNode.WriteTo"/>'s shape, from
/// the record's bytes: the body's JSON is read once with a forward reader and its parts
/// copied through raw (it is canonical JSON already), so draining the feed builds no
/// document, element or string per op.
/// </summary>
internal static class OpNodeJson
{
    /// <summary>Writes the node of the record stored for <paramref name="seq"/>.</summary>
    public static void Write(Utf8JsonWriter writer, long seq, ReadOnlySpan<byte> record)
    {
        var body = HashChain.BodyOf(record);
        var top = ReadBody(body);
        var op = top.Op;
        var payload = top.Payload;
        var isPut = op.SequenceEqual("put"u8);
        var isDocument = isPut || op.SequenceEqual("del"u8);
        var parts = isDocument ? ReadPayload(payload) : default;
        var data = isPut && !parts.Doc.IsEmpty ? parts.Doc : payload;
        var doc = isPut ? ReadDoc(data) : default;

        writer.WriteStartObject();
        Raw(writer, "id"u8, isDocument ? parts.Id : default);
        Raw(writer, "coll"u8, isDocument ? parts.Coll : default);
        writer.WriteNumber("seq"u8, seq);
        writer.WriteString("op"u8, op);
        writer.WritePropertyName("data"u8);
        writer.WriteRawValue(data, skipInputValidation: true);
        Hex(writer, "prev"u8, HashChain.PreviousOf(record));
        writer.WritePropertyName("caused_by"u8);
        writer.WriteRawValue(doc.CausedBy.IsEmpty ? "[]"u8 : doc.CausedBy, skipInputValidation: true);
        writer.WriteNumber("ts"u8, top.Ts / 1000m);
        Raw(writer, "valid_from"u8, doc.ValidFrom);
        Raw(writer, "valid_to"u8, doc.ValidTo);
        Hex(writer, "hash"u8, HashChain.HashOf(record));
        writer.WriteEndObject();
    }

    private readonly ref struct Body(ReadOnlySpan<byte> op, long ts, ReadOnlySpan<byte> payload)
    {
        public ReadOnlySpan<byte> Op { get; } = op;

        public long Ts { get; } = ts;

        public ReadOnlySpan<byte> Payload { get; } = payload;
    }

    /// <summary>The body's <c>op</c> (unescaped: op names are plain), <c>ts</c> and raw <c>payload</c>.</summary>
    private static Body ReadBody(ReadOnlySpan<byte> body)
    {
        var reader = new Utf8JsonReader(body);
        ReadOnlySpan<byte> op = default, payload = default;
        long ts = 0;
        reader.Read();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("op"u8))
            {
                reader.Read();
                op = reader.ValueSpan;
            }
            else if (reader.ValueTextEquals("ts"u8))
            {
                reader.Read();
                ts = reader.GetInt64();
            }
            else if (reader.ValueTextEquals("payload"u8))
            {
                payload = body[RawRange(ref reader)];
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        return new Body(op, ts, payload);
    }

    private readonly ref struct Payload(ReadOnlySpan<byte> id, ReadOnlySpan<byte> coll, ReadOnlySpan<byte> doc)
    {
        public ReadOnlySpan<byte> Id { get; } = id;

        public ReadOnlySpan<byte> Coll { get; } = coll;

        public ReadOnlySpan<byte> Doc { get; } = doc;
    }

    /// <summary>A put's or delete's raw <c>id</c> and <c>coll</c> strings and (a put's) raw <c>doc</c>.</summary>
    private static Payload ReadPayload(ReadOnlySpan<byte> payload)
    {
        var reader = new Utf8JsonReader(payload);
        ReadOnlySpan<byte> id = default, coll = default, doc = default;
        reader.Read();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("id"u8))
            {
                id = payload[RawRange(ref reader)];
            }
            else if (reader.ValueTextEquals("coll"u8))
            {
                coll = payload[RawRange(ref reader)];
            }
            else if (reader.ValueTextEquals("doc"u8))
            {
                doc = payload[RawRange(ref reader)];
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        return new Payload(id, coll, doc);
    }

    private readonly ref struct Provenance(ReadOnlySpan<byte> causedBy, ReadOnlySpan<byte> validFrom, ReadOnlySpan<byte> validTo)
    {
        public ReadOnlySpan<byte> CausedBy { get; } = causedBy;

        public ReadOnlySpan<byte> ValidFrom { get; } = validFrom;

        public ReadOnlySpan<byte> ValidTo { get; } = validTo;
    }

    /// <summary>A document's raw <c>_caused_by</c> (when an array) and <c>_valid_from</c>, <c>_valid_to</c> (when strings).</summary>
    private static Provenance ReadDoc(ReadOnlySpan<byte> doc)
    {
        if (doc.IsEmpty || doc[0] != (byte)'{')
        {
            return default;
        }

        var reader = new Utf8JsonReader(doc);
        ReadOnlySpan<byte> causedBy = default, validFrom = default, validTo = default;
        reader.Read();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("_caused_by"u8))
            {
                var value = doc[RawRange(ref reader)];
                causedBy = value[0] == (byte)'[' ? value : default;
            }
            else if (reader.ValueTextEquals("_valid_from"u8))
            {
                var value = doc[RawRange(ref reader)];
                validFrom = value[0] == (byte)'"' ? value : default;
            }
            else if (reader.ValueTextEquals("_valid_to"u8))
            {
                var value = doc[RawRange(ref reader)];
                validTo = value[0] == (byte)'"' ? value : default;
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        return new Provenance(causedBy, validFrom, validTo);
    }

    /// <summary>Reads the value after the current property name; returns where its raw bytes are (a string with its quotes).</summary>
    private static Range RawRange(ref Utf8JsonReader reader)
    {
        reader.Read();
        var start = (int)reader.TokenStartIndex;
        reader.Skip();
        return start..(int)reader.BytesConsumed;
    }

    private static void Raw(Utf8JsonWriter writer, ReadOnlySpan<byte> name, ReadOnlySpan<byte> rawValue)
    {
        writer.WritePropertyName(name);
        writer.WriteRawValue(rawValue.IsEmpty ? "null"u8 : rawValue, skipInputValidation: true);
    }

    /// <summary>Writes <paramref name="bytes"/> as a lower-case hex string (raw: hex digits never need escaping).</summary>
    private static void Hex(Utf8JsonWriter writer, ReadOnlySpan<byte> name, ReadOnlySpan<byte> bytes)
    {
        Span<byte> quoted = stackalloc byte[(2 * bytes.Length) + 2];
        quoted[0] = quoted[^1] = (byte)'"';
        Convert.TryToHexStringLower(bytes, quoted[1..^1], out _);
        writer.WritePropertyName(name);
        writer.WriteRawValue(quoted, skipInputValidation: true);
    }
}
