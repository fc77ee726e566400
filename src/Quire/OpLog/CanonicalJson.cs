using System.Globalization;
using System.Text;
using System.Text.Json;
using Quire.Keys;

namespace Quire.OpLog;

/// <summary>
/// RFC 8785 (JSON Canonicalization Scheme) text of a JSON value: object members sorted by
/// their names' UTF-16 code units, no whitespace, strings with the minimal escapes, and
/// numbers as ECMAScript prints doubles. A number too large for a double (which RFC 8785
/// cannot express) keeps its own text.
/// </summary>
public static class CanonicalJson
{
    /// <summary>The canonical UTF-8 text of <paramref name="value"/>.</summary>
    /// <exception cref="FormatException">An object has the same member name twice.</exception>
    public static byte[] Serialize(JsonElement value)
    {
        var text = new StringBuilder();
        Write(value, text);
        return Encoding.UTF8.GetBytes(text.ToString());
    }

    /// <summary>Appends the canonical text of <paramref name="value"/>.</summary>
    public static void Write(JsonElement value, StringBuilder text)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                var members = value.EnumerateObject().Select(p => (p.Name, p.Value)).ToList();
                members.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
                text.Append('{');
                for (var i = 0; i < members.Count; i++)
                {
                    if (i > 0)
                    {
                        if (members[i].Name == members[i - 1].Name)
                        {
                            throw new FormatException($"the member name '{members[i].Name}' appears twice");
                        }

                        text.Append(',');
                    }

                    WriteString(members[i].Name, text);
                    text.Append(':');
                    Write(members[i].Value, text);
                }

                text.Append('}');
                break;
            case JsonValueKind.Array:
                text.Append('[');
                var first = true;
                foreach (var item in value.EnumerateArray())
                {
                    if (!first)
                    {
                        text.Append(',');
                    }

                    Write(item, text);
                    first = false;
                }

                text.Append(']');
                break;
            case JsonValueKind.String:
                WriteString(value.GetString()!, text);
                break;
            case JsonValueKind.Number:
                text.Append(value.TryGetDouble(out var number) && double.IsFinite(number) ? Number(number) : value.GetRawText());
                break;
            case JsonValueKind.True:
                text.Append("true");
                break;
            case JsonValueKind.False:
                text.Append("false");
                break;
            default:
                text.Append("null");
                break;
        }
    }

    /// <summary>A string as JSON, escaped as RFC 8785 requires.</summary>
    public static void WriteString(string value, StringBuilder text)
    {
        text.Append('"');
        foreach (var c in value)
        {
            switch (c)
            {
                case '"': text.Append("\\\""); break;
                case '\\': text.Append("\\\\"); break;
                case '\b': text.Append("\\b"); break;
                case '\f': text.Append("\\f"); break;
                case '\n': text.Append("\\n"); break;
                case '\r': text.Append("\\r"); break;
                case '\t': text.Append("\\t"); break;
                default:
                    if (c < 0x20)
                    {
                        text.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        text.Append(c);
                    }

                    break;
            }
        }

        text.Append('"');
    }

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
}
