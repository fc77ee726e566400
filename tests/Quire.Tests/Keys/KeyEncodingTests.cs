using System.Globalization;
using System.Text;
using System.Text.Json;
using CsCheck;
using Quire.Keys;

namespace Quire.Tests.Keys;

public class KeyEncodingTests
{
    private static readonly string[] Special = ["0", "-0", "0.0", "1", "1.0", "10e-1", "9007199254740993", "9007199254740992", "1e400", "-1e-400"];

    private static readonly string[] TypeOrder = ["false", "true", "-5", "0", "7", "\"\"", "\"a\"", "[1]", "null"];

    private static readonly Gen<string> NumberText = Gen.OneOf(
        Gen.Long.Select(v => v.ToString(CultureInfo.InvariantCulture)),
        Gen.Double.Where(double.IsFinite).Select(v => v.ToString("R", CultureInfo.InvariantCulture)),
        Gen.Int[-20, 20].Select(Gen.Int[0, 9].Array[1, 25], Gen.Int[-3, 3], Gen.Bool,
            (exponent, digits, point, negative) => DecimalText(digits, exponent, point, negative)),
        Gen.Int[0, Special.Length - 1].Select(i => Special[i]));

    [Fact]
    public void Numbers_compare_exactly_as_numbers()
    {
        Gen.Select(NumberText, NumberText).Sample((a, b) =>
        {
            var expected = Math.Sign(ExactDecimal.Compare(a, b));
            var actual = Math.Sign(Encode(k => k.Number(a)).AsSpan().SequenceCompareTo(Encode(k => k.Number(b))));
            Assert.True(expected == actual, $"{a} vs {b}: expected {expected}, encoded {actual}");
        }, iter: 20_000);
    }

    [Fact]
    public void Every_spelling_of_a_number_encodes_the_same()
    {
        Assert.Equal(Encode(k => k.Number("1")), Encode(k => k.Number("1.0")));
        Assert.Equal(Encode(k => k.Number("1")), Encode(k => k.Number("10e-1")));
        Assert.Equal(Encode(k => k.Number("0")), Encode(k => k.Number("-0.000")));
        Assert.NotEqual(Encode(k => k.Number("9007199254740993")), Encode(k => k.Number("9007199254740992")));
    }

    [Fact]
    public void Strings_compare_by_their_utf8_bytes_zero_bytes_included()
    {
        var text = Gen.String[Gen.Char.Where(c => !char.IsSurrogate(c)), 0, 12];
        var withZeros = Gen.OneOf(text, text.Select(s => s.Replace('a', '\0')));
        Gen.Select(withZeros, withZeros).Sample((a, b) =>
        {
            var expected = Math.Sign(Encoding.UTF8.GetBytes(a).AsSpan().SequenceCompareTo(Encoding.UTF8.GetBytes(b)));
            var actual = Math.Sign(Encode(k => k.String(a)).AsSpan().SequenceCompareTo(Encode(k => k.String(b))));
            Assert.Equal(expected, actual);
        }, iter: 20_000);
    }

    [Fact]
    public void Tuples_compare_element_by_element()
    {
        var element = Gen.String[Gen.Char['\0', 'c'], 0, 4];
        Gen.Select(element, element, element, element).Sample((a1, a2, b1, b2) =>
        {
            var expected = Math.Sign(Compare(a1, b1) != 0 ? Compare(a1, b1) : Compare(a2, b2));
            var actual = Math.Sign(Encode(k => k.String(a1).String(a2)).AsSpan().SequenceCompareTo(Encode(k => k.String(b1).String(b2))));
            Assert.Equal(expected, actual);
        }, iter: 20_000);
    }

    [Fact]
    public void Types_order_booleans_numbers_strings_then_null_last()
    {
        var ordered = TypeOrder
            .Select(json => Encode(k => k.Value(JsonDocument.Parse(json).RootElement)))
            .ToList();
        for (var i = 1; i < ordered.Count; i++)
        {
            Assert.True(ordered[i - 1].AsSpan().SequenceCompareTo(ordered[i]) < 0, $"element {i - 1} should sort before {i}");
        }
    }

    [Fact]
    public void Long_index_strings_are_cut_but_keep_their_order_against_short_ones()
    {
        var prefix = new string('m', KeyBuilder.MaxIndexedStringBytes);
        var longValue = Encode(k => k.Value(Json($"\"{prefix}zzz\"")).String("id"));
        Assert.True(longValue.Length < 400);
        Assert.True(Encode(k => k.Value(Json($"\"{prefix}\"")).String("id")).AsSpan().SequenceCompareTo(longValue) < 0);
        Assert.True(Encode(k => k.Value(Json("\"mmm\"")).String("id")).AsSpan().SequenceCompareTo(longValue) < 0);
        Assert.True(Encode(k => k.Value(Json("\"n\"")).String("id")).AsSpan().SequenceCompareTo(longValue) > 0);
    }

    [Fact]
    public void A_reader_skips_every_element_and_reads_strings_back()
    {
        var key = Encode(k => k.Byte(2).String("co\0ll").UInt32(7).Number("-12.5").Value(Json("[1,2]")).Boolean(true).Null()
            .Int64(-3).Value(Json($"\"{new string('x', 300)}\"")).String("id\0x"));
        var reader = new KeyReader(key);
        Assert.Equal(2, reader.Byte());
        Assert.Equal("co\0ll", reader.String());
        Assert.Equal(7u, reader.UInt32());
        for (var i = 0; i < 3; i++)
        {
            reader.Skip();
        }

        reader.Skip();
        Assert.Equal(-3, reader.Int64());
        reader.Skip();
        Assert.Equal("id\0x", reader.String());
        Assert.True(reader.AtEnd);
    }

    [Fact]
    public void Out_of_range_numbers_are_refused_not_rounded()
    {
        Assert.Throws<FormatException>(() => Encode(k => k.Number("1e9999999")));
        Assert.Throws<FormatException>(() => Encode(k => k.Number("abc")));
    }

    private static int Compare(string a, string b) => Encoding.UTF8.GetBytes(a).AsSpan().SequenceCompareTo(Encoding.UTF8.GetBytes(b));

    private static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement;

    private static byte[] Encode(Action<KeyBuilder> build)
    {
        var builder = new KeyBuilder();
        build(builder);
        return builder.ToArray();
    }

    private static string DecimalText(int[] digits, int exponent, int point, bool negative)
    {
        var text = string.Concat(digits);
        var at = Math.Clamp(point + 1, 1, text.Length);
        var mantissa = at < text.Length ? text[..at] + "." + text[at..] : text;
        return (negative ? "-" : "") + mantissa + (exponent != 0 ? $"e{exponent}" : "");
    }
}
