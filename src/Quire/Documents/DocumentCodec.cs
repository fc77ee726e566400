using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace Quire.Documents;

/// <summary>
/// How a document is stored: a small header (format byte, flags, and the expiry time in
/// epoch milliseconds when it has one, so reads check expiry without parsing), then its
/// JSON object with <c>_id</c> first, the provenance fields and <c>_expires_at</c> (epoch
/// seconds, as nedbd) last, and no <c>_seq</c> (the seq is the key's version, known only
/// once the op is sequenced). Reading adds <c>_seq</c> at the end.
/// </summary>
internal static class DocumentCodec
{
    private const byte Format = 1;
    private const byte HasExpiry = 1;
    private const string ExpiresAtField = "_expires_at";
    private static readonly JsonWriterOptions WriterOptions = new() { SkipValidation = true };

    // One encoding buffer and writer per thread: encoding is on every put's path.
    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    /// <summary>
    /// The stored form of <paramref name="document"/> written as <paramref name="id"/>, with
    /// <paramref name="provenance"/>'s fields, expiring at <paramref name="expiresAt"/> (epoch
    /// ms) when given.
    /// </summary>
    /// <exception cref="InvalidDocumentException">It is not an object, or is larger than <paramref name="maxBytes"/>.</exception>
    public static byte[] Encode(string id, JsonElement document, int maxBytes, long? expiresAt, Provenance? provenance = null)
    {
        if (document.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidDocumentException($"a document must be a JSON object, not {Describe(document.ValueKind)}");
        }

        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(1024);
        buffer.ResetWrittenCount();
        var header = buffer.GetSpan(10);
        header[0] = Format;
        header[1] = expiresAt is null ? (byte)0 : HasExpiry;
        var headerLength = 2;
        if (expiresAt is { } at)
        {
            BinaryPrimitives.WriteInt64BigEndian(header[2..], at);
            headerLength = 10;
        }

        buffer.Advance(headerLength);
        var writer = t_writer ??= new Utf8JsonWriter(buffer, WriterOptions);
        writer.Reset(buffer);
        {
            writer.WriteStartObject();
            writer.WriteString("_id", id);
            var last = LastOccurrences(document);
            var index = 0;
            foreach (var property in document.EnumerateObject())
            {
                var keep = last is null || last.Contains(index);
                index++;
                if (!keep || property.NameEquals("_id") || property.NameEquals("_seq") || property.NameEquals(ExpiresAtField)
                    || (provenance is not null && provenance.Sets(property.Name)))
                {
                    continue;
                }

                property.WriteTo(writer);
            }

            provenance?.WriteTo(writer);
            if (expiresAt is { } expiry)
            {
                WriteExpiresAt(writer, expiry);
            }

            writer.WriteEndObject();
            writer.Flush();
        }

        if (buffer.WrittenCount - headerLength > maxBytes)
        {
            throw new InvalidDocumentException($"a document of {buffer.WrittenCount - headerLength} bytes exceeds the limit of {maxBytes} bytes");
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// For an object that repeats a member name, the positions of each name's last
    /// occurrence (the one every reader of the stored form would see); null when no name
    /// repeats, the common case.
    /// </summary>
    private static HashSet<int>? LastOccurrences(JsonElement document)
    {
        // Hot path (every put): compare the raw names pairwise in a pooled array, without
        // allocating; names with escapes, or large objects, take the way through strings.
        var count = document.GetPropertyCount();
        if (count <= 32)
        {
            var properties = ArrayPool<JsonProperty>.Shared.Rent(count);
            try
            {
                var n = 0;
                var suspect = false;
                foreach (var property in document.EnumerateObject())
                {
                    var name = JsonMarshal.GetRawUtf8PropertyName(property);
                    suspect |= name.Contains((byte)'\\');
                    for (var j = 0; j < n && !suspect; j++)
                    {
                        suspect = JsonMarshal.GetRawUtf8PropertyName(properties[j]).SequenceEqual(name);
                    }

                    properties[n++] = property;
                }

                if (!suspect)
                {
                    return null;
                }
            }
            finally
            {
                ArrayPool<JsonProperty>.Shared.Return(properties, clearArray: true);
            }
        }

        var positions = new Dictionary<string, int>(StringComparer.Ordinal);
        var index = 0;
        var repeated = false;
        foreach (var property in document.EnumerateObject())
        {
            repeated |= positions.ContainsKey(property.Name);
            positions[property.Name] = index++;
        }

        return repeated ? [.. positions.Values] : null;
    }

    /// <summary>
    /// The expiry a write asks for, in epoch milliseconds: <paramref name="ttlSeconds"/>
    /// (fractions allowed) from <paramref name="nowMs"/>, else the document's own
    /// <c>_expires_at</c> (epoch seconds, fractions allowed, as nedbd), else none.
    /// </summary>
    /// <exception cref="InvalidDocumentException"><c>_expires_at</c> is not a number of seconds, or the TTL is not positive.</exception>
    public static long? ExpiryOf(JsonElement document, double? ttlSeconds, long nowMs)
    {
        if (ttlSeconds is { } ttl)
        {
            if (!(ttl > 0) || ttl > MaxSeconds)
            {
                throw new InvalidDocumentException("ttl_s must be a positive number of seconds (at most 100 years)");
            }

            return nowMs + Math.Max(1, (long)Math.Round(ttl * 1000));
        }

        if (document.ValueKind == JsonValueKind.Object && document.TryGetProperty(ExpiresAtField, out var value) && value.ValueKind != JsonValueKind.Null)
        {
            if (value.ValueKind != JsonValueKind.Number || !value.TryGetDouble(out var at) || !(at >= 0) || at > MaxEpochSeconds)
            {
                throw new InvalidDocumentException("_expires_at must be a time in epoch seconds");
            }

            return (long)Math.Round(at * 1000);
        }

        return null;
    }

    private const double MaxSeconds = 100.0 * 365 * 24 * 3600;

    /// <summary>The year 9999: later is no time, and its milliseconds still fit a long.</summary>
    private const double MaxEpochSeconds = 253_402_300_799;

    /// <summary>Writes <c>_expires_at</c> in epoch seconds (with a fraction only when the milliseconds have one).</summary>
    public static void WriteExpiresAt(Utf8JsonWriter writer, long expiresAtMs)
    {
        if (expiresAtMs % 1000 == 0)
        {
            writer.WriteNumber(ExpiresAtField, expiresAtMs / 1000);
        }
        else
        {
            writer.WriteNumber(ExpiresAtField, expiresAtMs / 1000m);
        }
    }

    /// <summary>The JSON part of a stored document.</summary>
    public static ReadOnlySpan<byte> Json(ReadOnlySpan<byte> stored) => stored[HeaderLength(stored)..];

    /// <summary>The JSON part of a stored document, as memory (for parsing).</summary>
    public static ReadOnlyMemory<byte> Json(byte[] stored) => stored.AsMemory(HeaderLength(stored));

    /// <summary>When the stored document expires (epoch ms), or null.</summary>
    public static long? ExpiresAt(ReadOnlySpan<byte> stored) =>
        (stored[1] & HasExpiry) != 0 ? BinaryPrimitives.ReadInt64BigEndian(stored[2..]) : null;

    /// <summary>True when the stored document has expired at <paramref name="nowMs"/>: it then reads as absent.</summary>
    public static bool IsExpired(ReadOnlySpan<byte> stored, long nowMs) => ExpiresAt(stored) is { } at && at <= nowMs;

    /// <summary>The document as readers see it: the JSON with <c>"_seq": seq</c> added last.</summary>
    public static byte[] WithSeq(ReadOnlySpan<byte> stored, long seq)
    {
        var json = Json(stored);
        Span<byte> digits = stackalloc byte[20];
        seq.TryFormat(digits, out var digitCount, default, CultureInfo.InvariantCulture);
        var result = new byte[json.Length - 1 + SeqMember.Length + digitCount + 1];
        json[..^1].CopyTo(result);
        var at = json.Length - 1;
        SeqMember.CopyTo(result.AsSpan(at));
        at += SeqMember.Length;
        digits[..digitCount].CopyTo(result.AsSpan(at));
        result[^1] = (byte)'}';
        return result;
    }

    private static ReadOnlySpan<byte> SeqMember => ",\"_seq\":"u8;

    private static int HeaderLength(ReadOnlySpan<byte> stored)
    {
        if (stored.Length < 2 || stored[0] != Format)
        {
            throw new InvalidDataException($"a stored document of unknown format {(stored.Length > 0 ? stored[0] : -1)}");
        }

        return (stored[1] & HasExpiry) != 0 ? 10 : 2;
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
