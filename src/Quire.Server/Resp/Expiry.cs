namespace Quire.Server.Resp;

/// <summary>Redis's expiry arguments as a time to live, on the documents layer's TTL (<c>_expires_at</c>, epoch seconds).</summary>
internal static class Expiry
{
    /// <summary>
    /// The seconds to live that <paramref name="unit"/> (EX, PX, EXAT or PXAT) <paramref name="amount"/>
    /// means now; null for an expiry SET refuses (not positive, or past what a date can hold).
    /// </summary>
    public static double? TtlSeconds(string unit, long amount, TimeProvider clock)
    {
        const long MaxMs = 253_402_300_799_000;   // 9999-12-31
        if (amount <= 0 || amount > (unit is "EX" or "EXAT" ? MaxMs / 1000 : MaxMs))
        {
            return null;
        }

        var nowMs = clock.GetUtcNow().ToUnixTimeMilliseconds();
        return unit switch
        {
            "EX" => amount,
            "PX" => amount / 1000.0,
            "EXAT" => Math.Max(0.001, amount - (nowMs / 1000.0)),
            _ => Math.Max(0.001, (amount - nowMs) / 1000.0),
        };
    }

    /// <summary>Milliseconds left before <paramref name="expiresAt"/> (epoch seconds), at least 0.</summary>
    public static long MillisecondsLeft(double expiresAt, TimeProvider clock) =>
        Math.Max(0, (long)Math.Ceiling((expiresAt * 1000) - clock.GetUtcNow().ToUnixTimeMilliseconds()));
}
