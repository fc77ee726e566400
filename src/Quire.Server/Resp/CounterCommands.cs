using System.Globalization;
using System.Text;

namespace Quire.Server.Resp;

/// <summary>INCR, INCRBY, DECR, DECRBY, INCRBYFLOAT: atomic read-modify-writes of a string holding a number.</summary>
internal static class CounterCommands
{
    public static IEnumerable<RespCommand> All() =>
    [
        new("INCR", 2, (s, a, c) => AddAsync(s, a[1], 1, c)),
        new("DECR", 2, (s, a, c) => AddAsync(s, a[1], -1, c)),
        new("INCRBY", 3, (s, a, c) => RespArgs.TryInteger(a[2], out var n) ? AddAsync(s, a[1], n, c) : ValueTask.FromResult(RespReply.NotInteger)),
        new("DECRBY", 3, (s, a, c) => RespArgs.TryInteger(a[2], out var n) && n != long.MinValue ? AddAsync(s, a[1], -n, c) : ValueTask.FromResult(RespReply.NotInteger)),
        new("INCRBYFLOAT", 3, AddFloatAsync),
    ];

    private static ValueTask<RespReply> AddAsync(RespSession session, byte[] key, long delta, CancellationToken cancellationToken) =>
        RedisStore.ReadModifyWriteAsync(session, key, current =>
        {
            long value = 0;
            if (current is not null)
            {
                var text = RedisValues.ValueOf(current.Json);
                if (text is null)
                {
                    return ([], RespReply.WrongType);
                }

                if (!RespArgs.TryInteger(text, out value))
                {
                    return ([], RespReply.NotInteger);
                }
            }

            if ((delta > 0 && value > long.MaxValue - delta) || (delta < 0 && value < long.MinValue - delta))
            {
                return ([], RespReply.Error("ERR increment or decrement would overflow"));
            }

            var result = value + delta;
            var keepAt = current is null ? null : RedisValues.ExpiresAt(current.Json);
            return ([StringCommands.Put(RedisStore.Id(key), Encoding.ASCII.GetBytes(result.ToString(CultureInfo.InvariantCulture)), null, keepAt)], RespReply.Number(result));
        }, cancellationToken);

    private static ValueTask<RespReply> AddFloatAsync(RespSession session, byte[][] args, CancellationToken cancellationToken)
    {
        if (!RespArgs.TryDouble(args[2], out var delta))
        {
            return ValueTask.FromResult(RespReply.Error("ERR value is not a valid float"));
        }

        return RedisStore.ReadModifyWriteAsync(session, args[1], current =>
        {
            double value = 0;
            if (current is not null)
            {
                var text = RedisValues.ValueOf(current.Json);
                if (text is null)
                {
                    return ([], RespReply.WrongType);
                }

                if (!RespArgs.TryDouble(text, out value))
                {
                    return ([], RespReply.Error("ERR value is not a valid float"));
                }
            }

            var result = value + delta;
            if (!double.IsFinite(result))
            {
                return ([], RespReply.Error("ERR increment would produce NaN or Infinity"));
            }

            var bytes = Encoding.ASCII.GetBytes(result.ToString("R", CultureInfo.InvariantCulture));
            var keepAt = current is null ? null : RedisValues.ExpiresAt(current.Json);
            return ([StringCommands.Put(RedisStore.Id(args[1]), bytes, null, keepAt)], RespReply.Bulk(bytes));
        }, cancellationToken);
    }
}
