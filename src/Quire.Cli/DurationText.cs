using System.Globalization;

namespace Quire.Cli;

/// <summary>Durations as flags take them: a number and a unit, <c>90s</c>, <c>30m</c>, <c>12h</c>, <c>7d</c> (decimals allowed: <c>1.5h</c>).</summary>
internal static class DurationText
{
    /// <summary>The duration <paramref name="text"/> says, or null when it is not one (or not positive).</summary>
    public static TimeSpan? Parse(string text)
    {
        text = text.Trim();
        if (text.Length < 2 || !double.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value) || value <= 0)
        {
            return null;
        }

        var seconds = char.ToLowerInvariant(text[^1]) switch
        {
            's' => value,
            'm' => value * 60,
            'h' => value * 3600,
            'd' => value * 86400,
            _ => double.NaN,
        };
        return double.IsFinite(seconds) && seconds < TimeSpan.MaxValue.TotalSeconds / 2 ? TimeSpan.FromSeconds(seconds) : null;
    }
}
