using System.Globalization;
using System.Numerics;

namespace Quire.Tests;

/// <summary>JSON numbers compared exactly, as rationals (mantissa x 10^exponent): the reference the encodings are checked against.</summary>
internal static class ExactDecimal
{
    public static int Compare(string a, string b)
    {
        var (ma, ea) = Parse(a);
        var (mb, eb) = Parse(b);
        if (ma.Sign != mb.Sign || ma.IsZero || mb.IsZero)
        {
            return ma.Sign.CompareTo(mb.Sign);
        }

        var shift = ea - eb;
        return shift >= 0 ? (ma * BigInteger.Pow(10, shift)).CompareTo(mb) : ma.CompareTo(mb * BigInteger.Pow(10, -shift));
    }

    private static (BigInteger Mantissa, int Exponent) Parse(string text)
    {
        var e = 0;
        var cut = text.IndexOfAny(['e', 'E']);
        if (cut >= 0)
        {
            e = int.Parse(text[(cut + 1)..], CultureInfo.InvariantCulture);
            text = text[..cut];
        }

        var point = text.IndexOf('.', StringComparison.Ordinal);
        if (point >= 0)
        {
            e -= text.Length - point - 1;
            text = text.Remove(point, 1);
        }

        return (BigInteger.Parse(text, CultureInfo.InvariantCulture), e);
    }
}
