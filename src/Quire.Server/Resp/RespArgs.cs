using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace Quire.Server.Resp;

/// <summary>Reading command arguments as Redis does.</summary>
internal static class RespArgs
{
    public static string Text(byte[] arg) => Encoding.UTF8.GetString(arg);

    /// <summary>Whether <paramref name="arg"/> is <paramref name="word"/>, ignoring ASCII case.</summary>
    public static bool Is(byte[] arg, string word) => Ascii.EqualsIgnoreCase(arg, word);

    /// <summary>A whole number as Redis reads one: optional minus, digits, no leading zeros, no spaces, within 64 bits.</summary>
    public static bool TryInteger(ReadOnlySpan<byte> arg, out long value)
    {
        value = 0;
        if (arg.Length is 0 or > 20 || (arg.Length > 1 && arg[0] == (byte)'0') || (arg.Length > 2 && arg[0] == (byte)'-' && arg[1] == (byte)'0'))
        {
            return false;
        }

        return Utf8Parser.TryParse(arg, out value, out var consumed) && consumed == arg.Length && arg[0] != (byte)'+';
    }

    /// <summary>A floating-point number (as INCRBYFLOAT and the EX family read one); not NaN or infinite.</summary>
    public static bool TryDouble(ReadOnlySpan<byte> arg, out double value) =>
        double.TryParse(Encoding.ASCII.GetString(arg), NumberStyles.Float, CultureInfo.InvariantCulture, out value) && double.IsFinite(value);
}
