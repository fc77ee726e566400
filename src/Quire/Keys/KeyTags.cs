namespace Quire.Keys;

/// <summary>
/// The first byte of each tuple element. Within a type, byte order is value order; across
/// types the tags order them: booleans, numbers, strings, composite values, then null last,
/// so an ascending scan of a sorted index puts nulls and missing values at the end.
/// </summary>
/// Every element starts with its tag (0x01-0x7F), so the bytes after a string's end can
/// never be mistaken for an escaped zero (0xFF) or a cut mark (0xFE).
internal static class KeyTags
{
    /// <summary>A fixed-width unsigned integer (index ids).</summary>
    public const byte UInt32 = 0x04;

    /// <summary>A fixed-width signed integer (seqs, times).</summary>
    public const byte Int64 = 0x05;

    public const byte False = 0x10;
    public const byte True = 0x11;
    public const byte NegativeNumber = 0x20;
    public const byte Zero = 0x21;
    public const byte PositiveNumber = 0x22;
    public const byte String = 0x30;

    /// <summary>An array or object value, held as its JSON text: equal only to the same text.</summary>
    public const byte Composite = 0x40;

    public const byte Null = 0x60;

    /// <summary>Ends a string element; inside a string a 0x00 byte is written as 0x00 0xFF.</summary>
    public const byte StringEnd = 0x00;
    public const byte EscapedZero = 0xFF;

    /// <summary>Follows the end of a string or number cut to fit a key: the document holds the whole value.</summary>
    public const byte Truncated = 0xFE;
}
