using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Quire.Keys;

namespace Quire.OpLog;

/// <summary>
/// RFC 8785 (JSON Canonicalization Scheme) text of JSON: object members sorted by their
/// names' UTF-16 code units, no whitespace, strings with the minimal escapes, and numbers
/// as ECMAScript prints doubles. A number too large for a double (which RFC 8785 cannot
/// express) keeps its own text. Hot path (one per op): it reads UTF-8 and writes UTF-8
/// into a caller's buffer, copying strings that need no escaping as they are.
/// </summary>
public static class CanonicalJson
{
    private const long MaxExactInteger = 1L << 53;

    /// <summary>The canonical UTF-8 text of <paramref name="value"/>.</summary>
    /// <exception cref="FormatException">An object has the same member name twice.</exception>
    public static byte[] Serialize(JsonElement value)
    {
        var output = new ArrayBufferWriter<byte>(256);
        Write(Encoding.UTF8.GetBytes(value.GetRawText()), output);
        return output.WrittenSpan.ToArray();
    }

    /// <summary>Writes the canonical text of the JSON value in <paramref name="utf8Json"/>.</summary>
    /// <exception cref="FormatException">An object has the same member name twice.</exception>
    public static void Write(ReadOnlySpan<byte> utf8Json, IBufferWriter<byte> output)
    {
        var reader = new Utf8JsonReader(utf8Json);
        reader.Read();
        WriteValue(ref reader, utf8Json, output);
    }

    /// <summary>Writes a string as canonical JSON.</summary>
    public static void WriteString(string value, IBufferWriter<byte> output)
    {
        var max = Encoding.UTF8.GetMaxByteCount(value.Length);
        var rented = ArrayPool<byte>.Shared.Rent(max);
        try
        {
            var length = Encoding.UTF8.GetBytes(value, rented);
            WriteUtf8String(rented.AsSpan(0, length), output);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Writes raw ASCII (punctuation, literals, digits).</summary>
    public static void WriteRaw(ReadOnlySpan<byte> ascii, IBufferWriter<byte> output) => output.Write(ascii);

    /// <summary>A double as ECMAScript's Number.prototype.toString prints it (shortest round-trip digits).</summary>
    public static string Number(double value)
    {
        var exact = ExactNumber.From(value);
        if (exact.Sign == 0)
        {
            return "0";
        }

        // value = 0.digits x 10^n, with k digits.
        var digits = exact.Digits;
        var k = digits.Length;
        var n = exact.Exponent;
        var sign = exact.Sign < 0 ? "-" : "";
        if (k <= n && n <= 21)
        {
            return sign + digits + new string('0', n - k);
        }

        if (0 < n && n <= 21)
        {
            return sign + digits[..n] + "." + digits[n..];
        }

        if (-6 < n && n <= 0)
        {
            return sign + "0." + new string('0', -n) + digits;
        }

        var e = n - 1;
        var exponent = (e < 0 ? "-" : "+") + Math.Abs(e).ToString(CultureInfo.InvariantCulture);
        return sign + (k == 1 ? digits : digits[..1] + "." + digits[1..]) + "e" + exponent;
    }

    private static void WriteValue(ref Utf8JsonReader reader, ReadOnlySpan<byte> json, IBufferWriter<byte> output)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
                WriteObject(ref reader, json, output);
                break;
            case JsonTokenType.StartArray:
                output.Write("["u8);
                var first = true;
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    if (!first)
                    {
                        output.Write(","u8);
                    }

                    WriteValue(ref reader, json, output);
                    first = false;
                }

                output.Write("]"u8);
                break;
            case JsonTokenType.String:
                WriteStringToken(ref reader, output);
                break;
            case JsonTokenType.Number:
                WriteNumber(ref reader, output);
                break;
            case JsonTokenType.True:
                output.Write("true"u8);
                break;
            case JsonTokenType.False:
                output.Write("false"u8);
                break;
            default:
                output.Write("null"u8);
                break;
        }
    }

    private static void WriteObject(ref Utf8JsonReader reader, ReadOnlySpan<byte> json, IBufferWriter<byte> output)
    {
        // Collect each member's name and value span, then write them in canonical order. The
        // lists are rented (this runs for every op written): nothing is allocated for an object
        // whose names are plain ASCII.
        var members = ArrayPool<(int NameStart, int NameEnd, int ValueStart, int ValueEnd, bool Escaped)>.Shared.Rent(16);
        var count = 0;
        string?[]? names = null;
        var order = ArrayPool<int>.Shared.Rent(16);
        try
        {
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var nameStart = (int)reader.TokenStartIndex + 1;
                var nameEnd = nameStart + reader.ValueSpan.Length;
                var escaped = reader.ValueIsEscaped;
                reader.Read();
                var valueStart = (int)reader.TokenStartIndex;
                reader.Skip();
                if (count == members.Length)
                {
                    var larger = ArrayPool<(int, int, int, int, bool)>.Shared.Rent(count * 2);
                    members.AsSpan(0, count).CopyTo(larger);
                    ArrayPool<(int, int, int, int, bool)>.Shared.Return(members);
                    members = larger;
                }

                members[count++] = (nameStart, nameEnd, valueStart, (int)reader.BytesConsumed, escaped);
            }

            if (order.Length < count)
            {
                ArrayPool<int>.Shared.Return(order);
                order = ArrayPool<int>.Shared.Rent(count);
            }

            WriteMembers(json, members.AsSpan(0, count), order.AsSpan(0, count), ref names, output);
        }
        finally
        {
            ArrayPool<(int, int, int, int, bool)>.Shared.Return(members);
            ArrayPool<int>.Shared.Return(order);
        }
    }

    private static void WriteMembers(ReadOnlySpan<byte> json, ReadOnlySpan<(int NameStart, int NameEnd, int ValueStart, int ValueEnd, bool Escaped)> members, Span<int> order, ref string?[]? names, IBufferWriter<byte> output)
    {
        var sorted = true;
        for (var i = 1; i < members.Length && sorted; i++)
        {
            sorted = CompareNames(json, members[i - 1], members[i], ref names, members.Length, i - 1, i) < 0;
        }

        for (var i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        if (!sorted)
        {
            // Insertion sort: objects are small, and a span cannot be captured by a comparison delegate.
            for (var i = 1; i < order.Length; i++)
            {
                var item = order[i];
                var j = i - 1;
                while (j >= 0 && CompareNames(json, members[order[j]], members[item], ref names, members.Length, order[j], item) > 0)
                {
                    order[j + 1] = order[j];
                    j--;
                }

                order[j + 1] = item;
            }
        }

        output.Write("{"u8);
        for (var i = 0; i < order.Length; i++)
        {
            var m = members[order[i]];
            if (i > 0)
            {
                if (CompareNames(json, members[order[i - 1]], m, ref names, members.Length, order[i - 1], order[i]) == 0)
                {
                    throw new FormatException($"the member name '{Name(json, m, ref names, members.Length, order[i])}' appears twice");
                }

                output.Write(","u8);
            }

            if (m.Escaped)
            {
                WriteString(Name(json, m, ref names, members.Length, order[i]), output);
            }
            else
            {
                WriteUtf8String(json[m.NameStart..m.NameEnd], output);
            }

            output.Write(":"u8);
            var value = json[m.ValueStart..m.ValueEnd];
            var valueReader = new Utf8JsonReader(value);
            valueReader.Read();
            WriteValue(ref valueReader, value, output);
        }

        output.Write("}"u8);
    }

    /// <summary>Orders names by UTF-16 code units; plain ASCII names compare by their bytes.</summary>
    private static int CompareNames(ReadOnlySpan<byte> json, (int NameStart, int NameEnd, int ValueStart, int ValueEnd, bool Escaped) a,
        (int NameStart, int NameEnd, int ValueStart, int ValueEnd, bool Escaped) b, ref string?[]? names, int count, int ia, int ib)
    {
        var x = json[a.NameStart..a.NameEnd];
        var y = json[b.NameStart..b.NameEnd];
        if (!a.Escaped && !b.Escaped && Ascii.IsValid(x) && Ascii.IsValid(y))
        {
            return x.SequenceCompareTo(y);
        }

        return string.CompareOrdinal(Name(json, a, ref names, count, ia), Name(json, b, ref names, count, ib));
    }

    /// <summary>A member's name as a string, decoded once (the names array is made on first need).</summary>
    private static string Name(ReadOnlySpan<byte> json, (int NameStart, int NameEnd, int ValueStart, int ValueEnd, bool Escaped) member, ref string?[]? names, int count, int index)
    {
        names ??= new string?[count];
        if (names[index] is { } name)
        {
            return name;
        }

        var quoted = json[(member.NameStart - 1)..(member.NameEnd + 1)];
        var reader = new Utf8JsonReader(quoted);
        reader.Read();
        return names[index] = reader.GetString()!;
    }

    private static void WriteStringToken(ref Utf8JsonReader reader, IBufferWriter<byte> output)
    {
        if (!reader.ValueIsEscaped)
        {
            // Valid JSON escapes every character canonical JSON escapes, so unescaped text is canonical already.
            output.Write("\""u8);
            output.Write(reader.ValueSpan);
            output.Write("\""u8);
            return;
        }

        WriteString(reader.GetString()!, output);
    }

    private static void WriteNumber(ref Utf8JsonReader reader, IBufferWriter<byte> output)
    {
        var raw = reader.ValueSpan;

        // An integer a double holds exactly prints as itself (JSON has no leading zeros; -0 is 0).
        if (raw.Length <= 17 && raw.IndexOfAny((byte)'.', (byte)'e', (byte)'E') < 0 && reader.TryGetInt64(out var integer) && Math.Abs(integer) <= MaxExactInteger)
        {
            if (integer == 0)
            {
                output.Write("0"u8);
                return;
            }

            output.Write(raw);
            return;
        }

        var text = reader.TryGetDouble(out var number) && double.IsFinite(number) ? Number(number) : Encoding.UTF8.GetString(raw);
        output.Write(Encoding.UTF8.GetBytes(text));
    }

    private static void WriteUtf8String(ReadOnlySpan<byte> utf8, IBufferWriter<byte> output)
    {
        output.Write("\""u8);
        var start = 0;
        for (var i = 0; i < utf8.Length; i++)
        {
            var b = utf8[i];
            ReadOnlySpan<byte> escape;
            switch (b)
            {
                case (byte)'"': escape = "\\\""u8; break;
                case (byte)'\\': escape = "\\\\"u8; break;
                case (byte)'\b': escape = "\\b"u8; break;
                case (byte)'\f': escape = "\\f"u8; break;
                case (byte)'\n': escape = "\\n"u8; break;
                case (byte)'\r': escape = "\\r"u8; break;
                case (byte)'\t': escape = "\\t"u8; break;
                default:
                    if (b >= 0x20)
                    {
                        continue;
                    }

                    escape = Encoding.ASCII.GetBytes($"\\u{b:x4}");
                    break;
            }

            output.Write(utf8[start..i]);
            output.Write(escape);
            start = i + 1;
        }

        output.Write(utf8[start..]);
        output.Write("\""u8);
    }
}
