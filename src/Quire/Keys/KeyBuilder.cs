using System.Buffers.Binary;
using System.Text;
using System.Text.Json;

namespace Quire.Keys;

/// <summary>
/// Builds an order-preserving tuple key: elements appended one after another compare
/// element by element, each by value within its type (see <see cref="KeyTags"/>).
/// Strings compare by their UTF-8 bytes; numbers exactly, as decimals. Reuse one builder
/// (<see cref="Clear"/>) on hot paths: it keeps its buffer.
/// </summary>
internal sealed class KeyBuilder
{
    /// <summary>The version of this encoding, recorded in each database; bump it on any change.</summary>
    public const int EncodingVersion = 1;

    /// <summary>The longest string kept whole in an index value; longer ones are cut (see <see cref="KeyTags.Truncated"/>).</summary>
    public const int MaxIndexedStringBytes = 256;

    /// <summary>The most significant digits an index key keeps of a number too long for a key (even: whole bytes).</summary>
    public const int MaxIndexedNumberDigits = 200;

    private byte[] _buffer = new byte[64];

    /// <summary>The key so far.</summary>
    public ReadOnlySpan<byte> Span => _buffer.AsSpan(0, Length);

    /// <summary>Its length in bytes.</summary>
    public int Length { get; private set; }

    /// <summary>A copy of the key so far.</summary>
    public byte[] ToArray() => Span.ToArray();

    /// <summary>Empties the builder, keeping its buffer.</summary>
    public KeyBuilder Clear()
    {
        Length = 0;
        return this;
    }

    /// <summary>Appends a raw byte: a keyspace tag, first in a key (every element after it starts with its tag).</summary>
    public KeyBuilder Byte(byte value)
    {
        Reserve(1)[0] = value;
        return this;
    }

    /// <summary>Appends a fixed-width unsigned integer element (index ids): big-endian, so byte order is numeric order.</summary>
    public KeyBuilder UInt32(uint value)
    {
        var span = Reserve(5);
        span[0] = KeyTags.UInt32;
        BinaryPrimitives.WriteUInt32BigEndian(span[1..], value);
        return this;
    }

    /// <summary>Appends a fixed-width signed integer element (seqs, times) so that byte order is numeric order.</summary>
    public KeyBuilder Int64(long value)
    {
        var span = Reserve(9);
        span[0] = KeyTags.Int64;
        BinaryPrimitives.WriteUInt64BigEndian(span[1..], (ulong)value ^ 0x8000_0000_0000_0000UL);
        return this;
    }

    /// <summary>Appends a string element.</summary>
    public KeyBuilder String(ReadOnlySpan<char> value)
    {
        var max = Encoding.UTF8.GetMaxByteCount(value.Length);
        if (max <= 512)
        {
            Span<byte> utf8 = stackalloc byte[max];
            return Utf8String(utf8[..Encoding.UTF8.GetBytes(value, utf8)]);
        }

        return Utf8String(Encoding.UTF8.GetBytes(value.ToString()));
    }

    /// <summary>Appends a string element given as UTF-8.</summary>
    public KeyBuilder Utf8String(ReadOnlySpan<byte> utf8) => Escaped(KeyTags.String, utf8);

    /// <summary>Appends a boolean element.</summary>
    public KeyBuilder Boolean(bool value) => Byte(value ? KeyTags.True : KeyTags.False);

    /// <summary>Appends a null element (also what a missing field indexes as).</summary>
    public KeyBuilder Null() => Byte(KeyTags.Null);

    /// <summary>Appends a number element from JSON number text.</summary>
    /// <exception cref="FormatException">The text is not a number, or out of range.</exception>
    public KeyBuilder Number(ReadOnlySpan<char> jsonNumber) => Number(ExactNumber.Parse(jsonNumber));

    /// <summary>Appends a number element for an integer (the same bytes as its JSON text would give).</summary>
    public KeyBuilder Number(long value)
    {
        Span<char> text = stackalloc char[20];
        value.TryFormat(text, out var length, default, System.Globalization.CultureInfo.InvariantCulture);
        return Number(ExactNumber.Parse(text[..length]));
    }

    /// <summary>Appends a number element.</summary>
    public KeyBuilder Number(ExactNumber number) => Number(number, int.MaxValue, terminate: true);

    /// <summary>
    /// Appends a number cut to its first <see cref="MaxIndexedNumberDigits"/> digits and
    /// marked cut (<see cref="KeyTags.Truncated"/>): an index entry of a number too long for a
    /// key (the document keeps the whole value; the filter decides).
    /// </summary>
    public KeyBuilder CutNumber(ExactNumber number)
    {
        Number(number, MaxIndexedNumberDigits, terminate: true);
        return Byte(KeyTags.Truncated);
    }

    /// <summary>
    /// Appends what every number with this one's sign, exponent and first
    /// <see cref="MaxIndexedNumberDigits"/> digits starts with, whole or cut: the region an
    /// index search for a long number reads.
    /// </summary>
    public KeyBuilder NumberRegion(ExactNumber number) =>
        number.Digits.Length > MaxIndexedNumberDigits ? Number(number, MaxIndexedNumberDigits, terminate: false) : Number(number);

    private KeyBuilder Number(ExactNumber number, int maxDigits, bool terminate)
    {
        if (number.Sign == 0)
        {
            return Byte(KeyTags.Zero);
        }

        // Positive: the exponent (sign bit flipped, so byte order is numeric order), then the
        // digits as nibbles d+1, ended by a 0 nibble so a shorter digit string sorts first.
        // Negative: the same bytes inverted, so a larger magnitude sorts first. Unterminated
        // (a region's start), the digits are an even count: whole bytes.
        var digits = number.Digits.AsSpan(0, Math.Min(number.Digits.Length, maxDigits));
        var size = 1 + 4 + (digits.Length / 2) + (terminate ? 1 : 0);
        var span = Reserve(size);
        span[0] = number.Sign > 0 ? KeyTags.PositiveNumber : KeyTags.NegativeNumber;
        BinaryPrimitives.WriteUInt32BigEndian(span[1..], (uint)number.Exponent ^ 0x8000_0000U);
        var p = 5;
        for (var i = 0; i < digits.Length; i += 2)
        {
            var high = digits[i] - '0' + 1;
            var low = i + 1 < digits.Length ? digits[i + 1] - '0' + 1 : 0;
            span[p++] = (byte)((high << 4) | low);
        }

        if (terminate && digits.Length % 2 == 0)
        {
            span[p++] = 0;
        }

        if (number.Sign < 0)
        {
            for (var i = 1; i < size; i++)
            {
                span[i] = (byte)~span[i];
            }
        }

        return this;
    }

    /// <summary>
    /// Appends a JSON value as an index value. Strings longer than
    /// <see cref="MaxIndexedStringBytes"/> are cut, and arrays and objects kept as their
    /// JSON text (cut likewise): an entry narrows a search, the document decides.
    /// </summary>
    /// <exception cref="FormatException">A number out of range.</exception>
    public KeyBuilder Value(JsonElement value)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                return IndexString(KeyTags.String, value.GetString()!);
            case JsonValueKind.Number:
                return value.TryGetInt64(out var integer) ? Number(integer) : Number(value.GetRawText());
            case JsonValueKind.True:
                return Boolean(true);
            case JsonValueKind.False:
                return Boolean(false);
            case JsonValueKind.Object or JsonValueKind.Array:
                return IndexString(KeyTags.Composite, value.GetRawText());
            default:
                return Null();
        }
    }

    /// <summary>Appends a string as an index value: cut like <see cref="Value"/> cuts one.</summary>
    public KeyBuilder StringValue(string value) => IndexString(KeyTags.String, value);

    private KeyBuilder IndexString(byte tag, string value)
    {
        var utf8 = Encoding.UTF8.GetBytes(value);
        if (utf8.Length <= MaxIndexedStringBytes)
        {
            return Escaped(tag, utf8);
        }

        // Cut at exactly MaxIndexedStringBytes bytes (keys are bytes, not text) and mark the
        // cut after the terminator: a whole string of that length that equals the prefix
        // sorts just before, every other string compares as against the prefix, so order
        // stays exact except among long values sharing the whole prefix.
        Escaped(tag, utf8.AsSpan(0, MaxIndexedStringBytes));
        return Byte(KeyTags.Truncated);
    }

    private KeyBuilder Escaped(byte tag, ReadOnlySpan<byte> utf8)
    {
        var zeros = utf8.Count((byte)0);
        var span = Reserve(1 + utf8.Length + zeros + 1);
        span[0] = tag;
        var p = 1;
        foreach (var b in utf8)
        {
            span[p++] = b;
            if (b == 0)
            {
                span[p++] = KeyTags.EscapedZero;
            }
        }

        span[p] = KeyTags.StringEnd;
        return this;
    }

    private Span<byte> Reserve(int count)
    {
        if (Length + count > _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, Length + count));
        }

        var span = _buffer.AsSpan(Length, count);
        Length += count;
        return span;
    }
}
