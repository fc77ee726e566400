using Quire.Documents;

namespace Quire.Server.Resp;

/// <summary>
/// SADD, SREM, SMEMBERS, SISMEMBER, SMISMEMBER, SCARD, SPOP, SRANDMEMBER, SMOVE, SUNION, SINTER,
/// SDIFF and their STORE forms, SSCAN. A set is the collection <c>_set_&lt;key&gt;</c>
/// (<see cref="RedisCollections"/>) with one empty document per member, its id the member
/// (<see cref="RedisKeys"/>).
/// </summary>
internal static class SetCommands
{
    public static IEnumerable<RespCommand> All() =>
    [
        new("SADD", -3, Add),
        new("SREM", -3, Remove),
        new("SMEMBERS", 2, (tx, a) => RespReply.Set([.. Members(tx, a[1]).Select(RespReply.Bulk)])),
        new("SISMEMBER", 3, (tx, a) => RespReply.Number(Contains(tx, Set(tx, a[1]), a[2]) ? 1 : 0)),
        new("SMISMEMBER", -3, (tx, a) => RespReply.Array([.. a.Skip(2).Select(m => RespReply.Number(Contains(tx, Set(tx, a[1]), m) ? 1 : 0))])),
        new("SCARD", 2, (tx, a) => RespReply.Number(tx.Scan(Set(tx, a[1])).LongCount())),
        new("SPOP", -2, Pop),
        new("SRANDMEMBER", -2, RandomMember),
        new("SMOVE", 4, Move),
        new("SUNION", -2, (tx, a) => RespReply.Set([.. Combine(tx, a, 1, Union).Select(RespReply.Bulk)])),
        new("SINTER", -2, (tx, a) => RespReply.Set([.. Combine(tx, a, 1, Intersect).Select(RespReply.Bulk)])),
        new("SDIFF", -2, (tx, a) => RespReply.Set([.. Combine(tx, a, 1, Except).Select(RespReply.Bulk)])),
        new("SUNIONSTORE", -3, (tx, a) => Store(tx, a, Union)),
        new("SINTERSTORE", -3, (tx, a) => Store(tx, a, Intersect)),
        new("SDIFFSTORE", -3, (tx, a) => Store(tx, a, Except)),
        new("SSCAN", -3, Scan),
    ];

    /// <summary>The set's collection; WRONGTYPE when the key holds another type.</summary>
    private static string Set(RedisTransaction tx, byte[] key) => RedisTypes.Collection(tx, key, AggregateKind.Set);

    private static bool Contains(RedisTransaction tx, string set, byte[] member) => tx.Get(set, RedisStore.Id(member)) is not null;

    private static IEnumerable<byte[]> Members(RedisTransaction tx, byte[] key) =>
        tx.Scan(Set(tx, key)).Select(d => RedisKeys.KeyOf(d.Id));

    private static RespReply Add(RedisTransaction tx, byte[][] args)
    {
        var set = Set(tx, args[1]);
        long added = 0;
        foreach (var member in args.Skip(2))
        {
            if (!Contains(tx, set, member))
            {
                tx.Write(DocumentOp.Put(set, RedisStore.Id(member), RedisValues.Member(RedisTypes.ExpiryOf(tx, set))));   // expiring with its set
                added++;
            }
        }

        return RespReply.Number(added);
    }

    private static RespReply Remove(RedisTransaction tx, byte[][] args)
    {
        var set = Set(tx, args[1]);
        long removed = 0;
        foreach (var member in args.Skip(2))
        {
            if (Contains(tx, set, member))
            {
                tx.Delete(set, RedisStore.Id(member));
                removed++;
            }
        }

        return RespReply.Number(removed);
    }

    /// <summary>SPOP key [count]: members removed at random (one as a bulk, a count as an array).</summary>
    private static RespReply Pop(RedisTransaction tx, byte[][] args)
    {
        if (!TryCount(args, out var count, out var error))
        {
            return error;
        }

        var set = Set(tx, args[1]);
        var chosen = tx.Scan(set).Select(d => d.Id).ToArray();
        Random.Shared.Shuffle(chosen);
        var taken = chosen.Take((int)Math.Min(count ?? 1, chosen.Length)).ToArray();
        foreach (var id in taken)
        {
            tx.Delete(set, id);
        }

        var members = taken.Select(id => RespReply.Bulk(RedisKeys.KeyOf(id)));
        return count is null ? (taken.Length == 0 ? RespReply.Null : members.First()) : RespReply.Array([.. members]);
    }

    /// <summary>SRANDMEMBER key [count]: distinct members for a positive count, possibly repeated for a negative one.</summary>
    private static RespReply RandomMember(RedisTransaction tx, byte[][] args)
    {
        if (args.Length > 3 || (args.Length == 3 && !RespArgs.TryInteger(args[2], out _)))
        {
            return args.Length > 3 ? RespReply.Syntax : RespReply.NotInteger;
        }

        var members = Members(tx, args[1]).ToArray();
        if (args.Length == 2)
        {
            return members.Length == 0 ? RespReply.Null : RespReply.Bulk(members[Random.Shared.Next(members.Length)]);
        }

        RespArgs.TryInteger(args[2], out var count);
        if (count < 0)
        {
            return RespReply.Array(members.Length == 0 ? [] : [.. Enumerable.Range(0, (int)Math.Min(-count, 1_000_000)).Select(_ => RespReply.Bulk(members[Random.Shared.Next(members.Length)]))]);
        }

        Random.Shared.Shuffle(members);
        return RespReply.Array([.. members.Take((int)Math.Min(count, members.Length)).Select(RespReply.Bulk)]);
    }

    private static RespReply Move(RedisTransaction tx, byte[][] args)
    {
        var from = Set(tx, args[1]);
        if (!tx.Any(from))
        {
            return RespReply.Number(0);   // as Redis: no source, no look at the destination
        }

        var to = Set(tx, args[2]);
        if (!Contains(tx, from, args[3]) || from == to)
        {
            return RespReply.Number(Contains(tx, from, args[3]) ? 1 : 0);   // within one set: nothing moves
        }

        tx.Delete(from, RedisStore.Id(args[3]));
        tx.Write(DocumentOp.Put(to, RedisStore.Id(args[3]), RedisValues.Member(RedisTypes.ExpiryOf(tx, to))));
        return RespReply.Number(1);
    }

    private static HashSet<string> Union(HashSet<string> a, HashSet<string> b)
    {
        a.UnionWith(b);
        return a;
    }

    private static HashSet<string> Intersect(HashSet<string> a, HashSet<string> b)
    {
        a.IntersectWith(b);
        return a;
    }

    private static HashSet<string> Except(HashSet<string> a, HashSet<string> b)
    {
        a.ExceptWith(b);
        return a;
    }

    /// <summary>The keys from <paramref name="start"/> on, combined in turn by <paramref name="combine"/> (member ids, in order).</summary>
    private static IEnumerable<byte[]> Combine(RedisTransaction tx, byte[][] args, int start, Func<HashSet<string>, HashSet<string>, HashSet<string>> combine)
    {
        HashSet<string>? result = null;
        foreach (var key in args.Skip(start))
        {
            var ids = tx.Scan(Set(tx, key)).Select(d => d.Id).ToHashSet(StringComparer.Ordinal);
            result = result is null ? ids : combine(result, ids);
        }

        return result!.Order(StringComparer.Ordinal).Select(RedisKeys.KeyOf);
    }

    private static RespReply Store(RedisTransaction tx, byte[][] args, Func<HashSet<string>, HashSet<string>, HashSet<string>> combine)
    {
        var members = Combine(tx, args, 2, combine).ToList();
        RedisTypes.Delete(tx, args[1]);   // the destination is replaced, whatever it held
        var set = RedisCollections.Of(AggregateKind.Set, args[1]);
        foreach (var member in members)
        {
            tx.Write(DocumentOp.Put(set, RedisStore.Id(member), RedisValues.Member(null)));   // a new key: no expiry
        }

        return RespReply.Number(members.Count);
    }

    /// <summary>SSCAN key cursor [MATCH pattern] [COUNT n]: members, in member order.</summary>
    private static RespReply Scan(RedisTransaction tx, byte[][] args)
    {
        var set = Set(tx, args[1]);
        return ScanPage.Run(args, 2, $"{tx.Db.Name}/{set}", allowType: false, after =>
            tx.Db.Scan(set, after).Select(doc =>
            {
                var member = RedisKeys.KeyOf(doc.Id);
                return new ScanPage.Entry(member, null, () => [RespReply.Bulk(member)], doc.Id);
            }));
    }

    /// <summary>SPOP's optional count: null without one; an error for a bad or negative one.</summary>
    private static bool TryCount(byte[][] args, out long? count, out RespReply error)
    {
        (count, error) = (null, default);
        if (args.Length == 2)
        {
            return true;
        }

        if (args.Length > 3)
        {
            error = RespReply.Syntax;
            return false;
        }

        if (!RespArgs.TryInteger(args[2], out var n) || n < 0)
        {
            error = RespReply.Error("ERR value is out of range, must be positive");
            return false;
        }

        count = n;
        return true;
    }
}
