using System.Globalization;
using System.Text;
using Quire.Documents;

namespace Quire.Server.Resp;

/// <summary>INCR, INCRBY, DECR, DECRBY, INCRBYFLOAT: atomic read-modify-writes of a string holding a number.</summary>
internal static class CounterCommands
{
    public static IEnumerable<RespCommand> All() =>
    [
        new("INCR", 2, (tx, a) => Add(tx, a[1], 1)),
        new("DECR", 2, (tx, a) => Add(tx, a[1], -1)),
        new("INCRBY", 3, (tx, a) => RespArgs.TryInteger(a[2], out var n) ? Add(tx, a[1], n) : RespReply.NotInteger),
        new("DECRBY", 3, (tx, a) => RespArgs.TryInteger(a[2], out var n) && n != long.MinValue ? Add(tx, a[1], -n) : RespReply.NotInteger),
        new("INCRBYFLOAT", 3, AddFloat),
    ];

    private static readonly RespReply NotFloat = RespReply.Error("ERR value is not a valid float");

    /// <summary>The reply to an increment past a 64-bit integer's range.</summary>
    internal static readonly RespReply Overflow = RespReply.Error("ERR increment or decrement would overflow");

    /// <summary><paramref name="value"/> + <paramref name="delta"/>, or null when it leaves a 64-bit integer's range (INCRBY, HINCRBY).</summary>
    internal static long? Sum(long value, long delta) =>
        (delta > 0 && value > long.MaxValue - delta) || (delta < 0 && value < long.MinValue - delta) ? null : value + delta;

    private delegate bool NumberParser<T>(ReadOnlySpan<byte> text, out T value);

    /// <summary>The number a counter holds (0 when absent), or the error reply: WRONGTYPE, or <paramref name="notNumber"/>.</summary>
    private static RespReply? Current<T>(Document? current, NumberParser<T> parse, RespReply notNumber, out T value)
    {
        value = default!;
        if (current is null)
        {
            return null;
        }

        var text = RedisValues.ValueOf(current.Json);
        return text is null ? RespReply.WrongType : parse(text, out value) ? null : notNumber;
    }

    private static RespReply Add(RedisTransaction tx, byte[] key, long delta) =>
        RedisStore.ReadModifyWrite(tx, key, current =>
        {
            if (Current(current, RespArgs.TryInteger, RespReply.NotInteger, out long value) is { } failed)
            {
                return ([], failed);
            }

            if (Sum(value, delta) is not { } result)
            {
                return ([], Overflow);
            }

            var keepAt = current is null ? null : RedisValues.ExpiresAt(current.Json);
            return ([StringCommands.Put(RedisStore.Id(key), Encoding.ASCII.GetBytes(result.ToString(CultureInfo.InvariantCulture)), null, keepAt)], RespReply.Number(result));
        });

    private static RespReply AddFloat(RedisTransaction tx, byte[][] args)
    {
        if (!RespArgs.TryDouble(args[2], out var delta))
        {
            return NotFloat;
        }

        return RedisStore.ReadModifyWrite(tx, args[1], current =>
        {
            if (Current(current, RespArgs.TryDouble, NotFloat, out double value) is { } failed)
            {
                return ([], failed);
            }

            var result = value + delta;
            if (!double.IsFinite(result))
            {
                return ([], RespReply.Error("ERR increment would produce NaN or Infinity"));
            }

            var bytes = Encoding.ASCII.GetBytes(result.ToString("R", CultureInfo.InvariantCulture));
            var keepAt = current is null ? null : RedisValues.ExpiresAt(current.Json);
            return ([StringCommands.Put(RedisStore.Id(args[1]), bytes, null, keepAt)], RespReply.Bulk(bytes));
        });
    }
}
