using System.Globalization;
using Quire.Documents;

namespace Quire.Server.Resp;

/// <summary>
/// LPUSH, RPUSH, LPUSHX, RPUSHX, LPOP, RPOP, LLEN, LRANGE, LINDEX, LSET, LREM, LTRIM, LMOVE,
/// RPOPLPUSH. A list is the collection <c>_list_&lt;key&gt;</c> (<see cref="RedisCollections"/>)
/// with one document <c>{"_v": value}</c> per element, its id the element's position as 19
/// digits, so id order is list order: a push to the left takes the position before the first,
/// one to the right the position after the last, and neither moves the others.
/// </summary>
internal static class ListCommands
{
    private const long Origin = 1L << 62;   // the first element's position: room on both sides

    public static IEnumerable<RespCommand> All() =>
    [
        new("LPUSH", -3, (tx, a) => Push(tx, a, left: true, onlyIfExists: false)),
        new("RPUSH", -3, (tx, a) => Push(tx, a, left: false, onlyIfExists: false)),
        new("LPUSHX", -3, (tx, a) => Push(tx, a, left: true, onlyIfExists: true)),
        new("RPUSHX", -3, (tx, a) => Push(tx, a, left: false, onlyIfExists: true)),
        new("LPOP", -2, (tx, a) => Pop(tx, a, left: true)),
        new("RPOP", -2, (tx, a) => Pop(tx, a, left: false)),
        new("LLEN", 2, (tx, a) => RespReply.Number(tx.Scan(List(tx, a[1])).LongCount())),
        new("LRANGE", 4, Range),
        new("LINDEX", 3, Index),
        new("LSET", 4, SetAt),
        new("LREM", 4, Remove),
        new("LTRIM", 4, Trim),
        new("LMOVE", 5, (tx, a) => Move(tx, a[1], a[2], a[3], a[4])),
        new("RPOPLPUSH", 3, (tx, a) => Move(tx, a[1], a[2], "RIGHT"u8.ToArray(), "LEFT"u8.ToArray())),
    ];

    private static string List(RedisTransaction tx, byte[] key) => RedisTypes.Collection(tx, key, AggregateKind.List);

    private static long PositionOf(string id) => long.Parse(id, CultureInfo.InvariantCulture) - Origin;

    private static string IdOf(long position) => (position + Origin).ToString("D19", CultureInfo.InvariantCulture);

    private static byte[] Value(Document doc) => RedisValues.ValueOf(doc.Json) ?? [];

    private static void PushOne(RedisTransaction tx, string list, ReadOnlySpan<byte> value, bool left) =>
        PushOne(tx, list, value, left, RedisTypes.ExpiryOf(tx, list));

    /// <summary>Pushes with the list's expiry as read before (a move within one list may have emptied it meanwhile).</summary>
    private static void PushOne(RedisTransaction tx, string list, ReadOnlySpan<byte> value, bool left, double? expiresAt)
    {
        var end = tx.Scan(list, reverse: !left).FirstOrDefault();
        var id = IdOf(end is null ? 0 : PositionOf(end.Id) + (left ? -1 : 1));
        tx.Create(DocumentOp.Put(list, id, RedisValues.Document(value, expiresAt)));   // a push racing for the position runs again
    }

    private static RespReply Push(RedisTransaction tx, byte[][] args, bool left, bool onlyIfExists)
    {
        var list = List(tx, args[1]);
        if (onlyIfExists && !tx.Any(list))
        {
            return RespReply.Number(0);
        }

        foreach (var value in args.Skip(2))
        {
            PushOne(tx, list, value, left);
        }

        return RespReply.Number(tx.Scan(list).LongCount());
    }

    private static RespReply Pop(RedisTransaction tx, byte[][] args, bool left)
    {
        long? count = null;
        if (args.Length > 3)
        {
            return RespReply.Syntax;
        }

        if (args.Length == 3)
        {
            if (!RespArgs.TryInteger(args[2], out var n) || n < 0)
            {
                return RespReply.Error("ERR value is out of range, must be positive");
            }

            count = n;
        }

        var list = List(tx, args[1]);
        var taken = tx.Scan(list, reverse: !left).Take((int)Math.Min(count ?? 1, int.MaxValue)).ToList();
        foreach (var doc in taken)
        {
            tx.Delete(list, doc.Id);
        }

        if (count is null)
        {
            return taken.Count == 0 ? RespReply.Null : RespReply.Bulk(Value(taken[0]));
        }

        return taken.Count == 0 ? RespReply.NullArray : RespReply.Array([.. taken.Select(d => RespReply.Bulk(Value(d)))]);
    }

    /// <summary>Redis's start/stop (negative from the end) as a skip and a count over <paramref name="length"/> elements.</summary>
    private static (int Skip, int Take) Window(long start, long stop, long length)
    {
        start = start < 0 ? Math.Max(length + start, 0) : start;
        stop = stop < 0 ? length + stop : Math.Min(stop, length - 1);
        return start > stop || start >= length ? (0, 0) : ((int)start, (int)(stop - start + 1));
    }

    private static RespReply Range(RedisTransaction tx, byte[][] args)
    {
        if (!RespArgs.TryInteger(args[2], out var start) || !RespArgs.TryInteger(args[3], out var stop))
        {
            return RespReply.NotInteger;
        }

        var list = List(tx, args[1]);
        var (skip, take) = Window(start, stop, tx.Scan(list).LongCount());
        return RespReply.Array([.. tx.Scan(list).Skip(skip).Take(take).Select(d => RespReply.Bulk(Value(d)))]);
    }

    /// <summary>The element at <paramref name="index"/> (negative from the end), or null.</summary>
    private static Document? At(RedisTransaction tx, string list, long index) =>
        index >= 0 ? tx.Scan(list).Skip((int)Math.Min(index, int.MaxValue)).FirstOrDefault()
            : tx.Scan(list, reverse: true).Skip((int)Math.Min(-(index + 1), int.MaxValue)).FirstOrDefault();

    private static RespReply Index(RedisTransaction tx, byte[][] args) =>
        !RespArgs.TryInteger(args[2], out var index) ? RespReply.NotInteger
            : At(tx, List(tx, args[1]), index) is { } doc ? RespReply.Bulk(Value(doc)) : RespReply.Null;

    private static RespReply SetAt(RedisTransaction tx, byte[][] args)
    {
        if (!RespArgs.TryInteger(args[2], out var index))
        {
            return RespReply.NotInteger;
        }

        var list = List(tx, args[1]);
        if (!tx.Any(list))
        {
            return RespReply.Error("ERR no such key");
        }

        if (At(tx, list, index) is not { } doc)
        {
            return RespReply.Error("ERR index out of range");
        }

        tx.Write(DocumentOp.Put(list, doc.Id, RedisValues.Document(args[3], RedisValues.ExpiresAt(doc.Json))));
        return RespReply.Ok;
    }

    /// <summary>LREM key count value: the first count equal elements from the left (right for a negative count; all for 0).</summary>
    private static RespReply Remove(RedisTransaction tx, byte[][] args)
    {
        if (!RespArgs.TryInteger(args[2], out var count))
        {
            return RespReply.NotInteger;
        }

        var list = List(tx, args[1]);
        var matches = tx.Scan(list, reverse: count < 0).Where(d => Value(d).AsSpan().SequenceEqual(args[3]));
        var removed = (count == 0 ? matches : matches.Take((int)Math.Min(Math.Abs(count), int.MaxValue))).ToList();
        foreach (var doc in removed)
        {
            tx.Delete(list, doc.Id);
        }

        return RespReply.Number(removed.Count);
    }

    private static RespReply Trim(RedisTransaction tx, byte[][] args)
    {
        if (!RespArgs.TryInteger(args[2], out var start) || !RespArgs.TryInteger(args[3], out var stop))
        {
            return RespReply.NotInteger;
        }

        var list = List(tx, args[1]);
        var docs = tx.Scan(list).ToList();
        var (skip, take) = Window(start, stop, docs.Count);
        for (var i = 0; i < docs.Count; i++)
        {
            if (i < skip || i >= skip + take)
            {
                tx.Delete(list, docs[i].Id);
            }
        }

        return RespReply.Ok;
    }

    /// <summary>LMOVE src dst LEFT|RIGHT LEFT|RIGHT: an element popped from one end of src, pushed on one end of dst.</summary>
    private static RespReply Move(RedisTransaction tx, byte[] source, byte[] destination, byte[] from, byte[] to)
    {
        if (!IsSide(from) || !IsSide(to))
        {
            return RespReply.Syntax;
        }

        var src = List(tx, source);
        if (tx.Scan(src, reverse: !RespArgs.Is(from, "LEFT")).FirstOrDefault() is not { } doc)
        {
            return RespReply.Null;   // as Redis: no source, no look at the destination
        }

        var dst = List(tx, destination);
        var dstExpiry = RedisTypes.ExpiryOf(tx, dst);

        var value = Value(doc);
        tx.Delete(src, doc.Id);
        PushOne(tx, dst, value, left: RespArgs.Is(to, "LEFT"), dstExpiry);
        return RespReply.Bulk(value);
    }

    private static bool IsSide(byte[] arg) => RespArgs.Is(arg, "LEFT") || RespArgs.Is(arg, "RIGHT");
}
