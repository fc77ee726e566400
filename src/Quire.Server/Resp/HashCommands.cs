using System.Globalization;
using System.Text;
using Quire.Documents;

namespace Quire.Server.Resp;

/// <summary>
/// HSET, HMSET, HSETNX, HGET, HMGET, HGETALL, HDEL, HEXISTS, HKEYS, HVALS, HLEN, HSTRLEN,
/// HINCRBY, HINCRBYFLOAT, HSCAN. A hash is a collection (<see cref="RedisCollections"/>) with
/// one document per field, <c>{"_v": value}</c>, its id the field (<see cref="RedisKeys"/>):
/// NQL reads <c>FROM user__3a__1</c>.
/// </summary>
internal static class HashCommands
{
    public static IEnumerable<RespCommand> All() =>
    [
        new("HSET", -4, (tx, a) => Set(tx, a, "hset") is { } n ? RespReply.Number(n) : RespReply.Arity("hset")),
        new("HMSET", -4, (tx, a) => Set(tx, a, "hmset") is not null ? RespReply.Ok : RespReply.Arity("hmset")),
        new("HSETNX", 4, SetIfAbsent),
        new("HGET", 3, (tx, a) => RespReply.Bulk(Field(tx, Hash(tx, a[1]), a[2]))),
        new("HMGET", -3, (tx, a) => RespReply.Array([.. a.Skip(2).Select(f => RespReply.Bulk(Field(tx, Hash(tx, a[1]), f)))])),
        new("HGETALL", 2, GetAll),
        new("HDEL", -3, Delete),
        new("HEXISTS", 3, (tx, a) => RespReply.Number(tx.Get(Hash(tx, a[1]), RedisStore.Id(a[2])) is null ? 0 : 1)),
        new("HKEYS", 2, (tx, a) => RespReply.Array([.. tx.Scan(Hash(tx, a[1])).Select(d => RespReply.Bulk(RedisKeys.KeyOf(d.Id)))])),
        new("HVALS", 2, (tx, a) => RespReply.Array([.. tx.Scan(Hash(tx, a[1])).Select(d => RespReply.Bulk(RedisValues.ValueOf(d.Json) ?? []))])),
        new("HLEN", 2, (tx, a) => RespReply.Number(tx.Scan(Hash(tx, a[1])).LongCount())),
        new("HSTRLEN", 3, (tx, a) => RespReply.Number(Field(tx, Hash(tx, a[1]), a[2])?.Length ?? 0)),
        new("HINCRBY", 4, IncrementBy),
        new("HINCRBYFLOAT", 4, IncrementByFloat),
        new("HSCAN", -3, Scan),
    ];

    /// <summary>The hash's collection; WRONGTYPE when the key holds another type.</summary>
    private static string Hash(RedisTransaction tx, byte[] key) => RedisTypes.Collection(tx, key, AggregateKind.Hash);

    private static byte[]? Field(RedisTransaction tx, string hash, byte[] field) =>
        tx.Get(hash, RedisStore.Id(field)) is { } doc ? RedisValues.ValueOf(doc.Json) ?? [] : null;

    /// <summary>A field's put, with the hash's expiry (a field added to an expiring hash expires with it).</summary>
    private static DocumentOp Put(RedisTransaction tx, string hash, byte[] field, ReadOnlySpan<byte> value) =>
        DocumentOp.Put(hash, RedisStore.Id(field), RedisValues.Document(value, RedisTypes.ExpiryOf(tx, hash)));

    /// <summary>Writes the field/value pairs; how many fields are new, or null for an odd count.</summary>
    private static long? Set(RedisTransaction tx, byte[][] args, string name)
    {
        if (args.Length % 2 != 0)
        {
            return null;
        }

        var hash = Hash(tx, args[1]);
        long added = 0;
        for (var i = 2; i < args.Length; i += 2)
        {
            if (tx.Get(hash, RedisStore.Id(args[i])) is null)
            {
                added++;
            }

            tx.Write(Put(tx, hash, args[i], args[i + 1]));
        }

        return added;
    }

    private static RespReply SetIfAbsent(RedisTransaction tx, byte[][] args)
    {
        var hash = Hash(tx, args[1]);
        if (tx.Get(hash, RedisStore.Id(args[2])) is not null)
        {
            return RespReply.Number(0);
        }

        tx.Write(Put(tx, hash, args[2], args[3]));
        return RespReply.Number(1);
    }

    private static RespReply GetAll(RedisTransaction tx, byte[][] args)
    {
        var items = new List<RespReply>();
        foreach (var doc in tx.Scan(Hash(tx, args[1])))
        {
            items.Add(RespReply.Bulk(RedisKeys.KeyOf(doc.Id)));
            items.Add(RespReply.Bulk(RedisValues.ValueOf(doc.Json) ?? []));
        }

        return RespReply.Map([.. items]);
    }

    private static RespReply Delete(RedisTransaction tx, byte[][] args)
    {
        var hash = Hash(tx, args[1]);
        long deleted = 0;
        foreach (var field in args.Skip(2).DistinctBy(f => Convert.ToBase64String(f)))
        {
            var id = RedisStore.Id(field);
            if (tx.Get(hash, id) is not null)
            {
                tx.Delete(hash, id);
                deleted++;
            }
        }

        return RespReply.Number(deleted);
    }

    private static RespReply IncrementBy(RedisTransaction tx, byte[][] args)
    {
        if (!RespArgs.TryInteger(args[3], out var delta))
        {
            return RespReply.NotInteger;
        }

        var hash = Hash(tx, args[1]);
        long value = 0;
        if (Field(tx, hash, args[2]) is { } current && !RespArgs.TryInteger(current, out value))
        {
            return RespReply.Error("ERR hash value is not an integer");
        }

        if (CounterCommands.Sum(value, delta) is not { } result)
        {
            return CounterCommands.Overflow;
        }

        tx.Write(Put(tx, hash, args[2], Encoding.ASCII.GetBytes(result.ToString(CultureInfo.InvariantCulture))));
        return RespReply.Number(result);
    }

    private static RespReply IncrementByFloat(RedisTransaction tx, byte[][] args)
    {
        if (!RespArgs.TryDouble(args[3], out var delta))
        {
            return RespReply.Error("ERR value is not a valid float");
        }

        var hash = Hash(tx, args[1]);
        double value = 0;
        if (Field(tx, hash, args[2]) is { } current && !RespArgs.TryDouble(current, out value))
        {
            return RespReply.Error("ERR hash value is not a float");
        }

        var result = value + delta;
        if (!double.IsFinite(result))
        {
            return RespReply.Error("ERR increment would produce NaN or Infinity");
        }

        var bytes = Encoding.ASCII.GetBytes(result.ToString("R", CultureInfo.InvariantCulture));
        tx.Write(Put(tx, hash, args[2], bytes));
        return RespReply.Bulk(bytes);
    }

    /// <summary>HSCAN key cursor [MATCH pattern] [COUNT n]: fields and values, in field order.</summary>
    private static RespReply Scan(RedisTransaction tx, byte[][] args)
    {
        var hash = Hash(tx, args[1]);
        return ScanPage.Run(args, 2, $"{tx.Db.Name}/{hash}", allowType: false, after =>
            tx.Db.Scan(hash, after).Select(doc =>
            {
                var field = RedisKeys.KeyOf(doc.Id);
                return new ScanPage.Entry(field, null, () => [RespReply.Bulk(field), RespReply.Bulk(RedisValues.ValueOf(doc.Json) ?? [])], doc.Id);
            }));
    }
}
