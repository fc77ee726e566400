using System.Globalization;

namespace Quire.Keys;

/// <summary>
/// A JSON number as an exact decimal: sign, the significant digits with no leading or
/// trailing zeros, and an exponent, so that the value is 0.d1d2d3... x 10^Exponent.
/// Every spelling of one value (1, 1.0, 10e-1) normalises to the same digits, which is
/// what lets the key encoding compare integers beyond 2^53 and doubles exactly.
/// </summary>
internal readonly struct ExactNumber
{
    /// <summary>The largest exponent magnitude accepted; beyond it a number is refused rather than rounded.</summary>
    public const int MaxExponent = 1_000_000;

    private ExactNumber(int sign, string digits, int exponent)
    {
        Sign = sign;
        Digits = digits;
        Exponent = exponent;
    }

    /// <summary>-1, 0 or 1.</summary>
    public int Sign { get; }

    /// <summary>The significant digits ('1'..'9' first and last); empty for zero.</summary>
    public string Digits { get; }

    /// <summary>The value is 0.Digits x 10^Exponent.</summary>
    public int Exponent { get; }

    /// <summary>Parses JSON number text (<c>-?int(.frac)?([eE][+-]?exp)?</c>).</summary>
    /// <exception cref="FormatException">The text is not a JSON number, or its exponent is out of range.</exception>
    public static ExactNumber Parse(ReadOnlySpan<char> text)
    {
        var i = 0;
        var negative = false;
        if (i < text.Length && text[i] == '-')
        {
            negative = true;
            i++;
        }

        Span<char> buffer = text.Length <= 256 ? stackalloc char[text.Length] : new char[text.Length];
        var count = 0;
        var pointAt = -1;       // digits before the decimal point
        var sawDigit = false;
        for (; i < text.Length; i++)
        {
            var c = text[i];
            if (c is >= '0' and <= '9')
            {
                sawDigit = true;
                buffer[count++] = c;
            }
            else if (c == '.' && pointAt < 0)
            {
                pointAt = count;
            }
            else
            {
                break;
            }
        }

        if (!sawDigit)
        {
            throw new FormatException($"not a number: '{text}'");
        }

        if (pointAt < 0)
        {
            pointAt = count;
        }

        long exponent = 0;
        if (i < text.Length)
        {
            if (text[i] is not ('e' or 'E') || !long.TryParse(text[(i + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out exponent))
            {
                throw new FormatException($"not a number: '{text}'");
            }

            if (Math.Abs(exponent) > MaxExponent)
            {
                throw new FormatException($"number out of range (exponent beyond +/-{MaxExponent}): '{text}'");
            }
        }

        var digits = buffer[..count];
        var lead = 0;
        while (lead < digits.Length && digits[lead] == '0')
        {
            lead++;
        }

        if (lead == digits.Length)
        {
            return new ExactNumber(0, string.Empty, 0);
        }

        var end = digits.Length;
        while (digits[end - 1] == '0')
        {
            end--;
        }

        var normalised = exponent + pointAt - lead;
        if (Math.Abs(normalised) > MaxExponent)
        {
            throw new FormatException($"number out of range: '{text}'");
        }

        return new ExactNumber(negative ? -1 : 1, new string(digits[lead..end]), (int)normalised);
    }

    /// <summary>The number a 64-bit integer is.</summary>
    public static ExactNumber From(long value) => Parse(value.ToString(CultureInfo.InvariantCulture));

    /// <summary>The number a double is (its shortest round-trip text); NaN and infinities are not numbers.</summary>
    public static ExactNumber From(double value)
    {
        if (!double.IsFinite(value))
        {
            throw new FormatException($"not a finite number: {value}");
        }

        return Parse(value.ToString("R", CultureInfo.InvariantCulture));
    }
}
