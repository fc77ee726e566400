using Quire.Documents;

namespace Quire.Server.Resp;

/// <summary>
/// DEL, UNLINK, EXISTS, TYPE, KEYS, SCAN, RENAME, RENAMENX, DBSIZE, FLUSHDB, EXPIRE, PEXPIRE,
/// EXPIREAT, PEXPIREAT, TTL, PTTL, PERSIST on keys of every type. A key's expiry is the
/// documents layer's <c>_expires_at</c> on its document, or on each document of its hash, set
/// or list (<see cref="RedisTypes.SetExpiry"/>).
/// </summary>
internal static class KeyCommands
{
    public static IEnumerable<RespCommand> All() =>
    [
        new("DEL", -2, Delete),
        new("UNLINK", -2, Delete),
        new("EXISTS", -2, (tx, a) => RespReply.Number(a.Skip(1).Count(key => RedisTypes.TypeOf(tx, key) != "none"))),   // a key named twice counts twice, as in Redis
        new("TYPE", 2, (tx, a) => RespReply.Simple(RedisTypes.TypeOf(tx, a[1]))),
        new("KEYS", 2, Keys),
        new("DBSIZE", 1, (tx, a) => RespReply.Number(RedisTypes.Keys(tx.Db).LongCount())),
        new("FLUSHDB", -1, FlushDb),
        new("EXPIRE", -3, (tx, a) => Expire(tx, a, "EX")),
        new("PEXPIRE", -3, (tx, a) => Expire(tx, a, "PX")),
        new("EXPIREAT", -3, (tx, a) => Expire(tx, a, "EXAT")),
        new("PEXPIREAT", -3, (tx, a) => Expire(tx, a, "PXAT")),
        new("TTL", 2, (tx, a) => Ttl(tx, a, 1000)),
        new("PTTL", 2, (tx, a) => Ttl(tx, a, 1)),
        new("PERSIST", 2, Persist),
        new("SCAN", -2, Scan),
        new("RENAME", 3, (tx, a) => Rename(tx, a, onlyIfAbsent: false)),
        new("RENAMENX", 3, (tx, a) => Rename(tx, a, onlyIfAbsent: true)),
    ];


    /// <summary>DEL k...: every key deleted in one atomic commit, whatever it holds; the count of those that existed.</summary>
    private static RespReply Delete(RedisTransaction tx, byte[][] args) =>
        RespReply.Number(args.Skip(1).DistinctBy(k => Convert.ToBase64String(k)).Count(key => RedisTypes.Delete(tx, key)));

    private static RespReply Keys(RedisTransaction tx, byte[][] args) =>
        RespReply.Array([.. RedisTypes.Keys(tx.Db).Where(k => RedisGlob.Matches(args[1], k.Key)).Select(k => RespReply.Bulk(k.Key))]);

    /// <summary>SCAN cursor [MATCH pattern] [COUNT n] [TYPE type]: up to n keys looked at per call, strings then the others; cursor 0 at the end.</summary>
    private static RespReply Scan(RedisTransaction tx, byte[][] args) =>
        ScanPage.Run(args, 1, tx.Db.Name, allowType: true, after =>
            RedisTypes.Keys(tx.Db, after).Select(k => new ScanPage.Entry(k.Key, k.Type, () => [RespReply.Bulk(k.Key)], k.Position)));

    /// <summary>
    /// RENAME / RENAMENX src dst: one atomic commit that writes dst (a string with its expiry,
    /// or every document of a hash, set or list) and deletes src; whatever dst held is replaced.
    /// </summary>
    private static RespReply Rename(RedisTransaction tx, byte[][] args, bool onlyIfAbsent)
    {
        var (from, to) = (args[1], args[2]);
        var type = RedisTypes.TypeOf(tx, from);
        if (type == "none")
        {
            return RespReply.Error("ERR no such key");
        }

        if (from.AsSpan().SequenceEqual(to))
        {
            return onlyIfAbsent ? RespReply.Number(0) : RespReply.Ok;
        }

        if (onlyIfAbsent && RedisTypes.TypeOf(tx, to) != "none")
        {
            return RespReply.Number(0);
        }

        RedisTypes.Delete(tx, to);
        if (type == "string")
        {
            var source = tx.Get(RedisStore.Strings, RedisStore.Id(from))!;
            tx.Write(DocumentOp.Put(RedisStore.Strings, RedisStore.Id(to), JsonOf(source)));
            tx.Delete(RedisStore.Strings, source.Id);
        }
        else
        {
            var kind = Enum.Parse<AggregateKind>(type, ignoreCase: true);
            var (source, target) = (RedisCollections.Of(kind, from), RedisCollections.Of(kind, to));
            foreach (var doc in tx.Scan(source).ToList())
            {
                tx.Write(DocumentOp.Put(target, doc.Id, JsonOf(doc)));
                tx.Delete(source, doc.Id);
            }
        }

        return onlyIfAbsent ? RespReply.Number(1) : RespReply.Ok;
    }

    private static System.Text.Json.JsonElement JsonOf(Document doc) => System.Text.Json.JsonDocument.Parse(doc.Json).RootElement;

    /// <summary>FLUSHDB: every key deleted, a thousand documents per commit (not atomic, as a flush of any size must not be one batch).</summary>
    private static async ValueTask<RespReply> FlushDb(RespSession session, byte[][] args, CancellationToken cancellationToken)
    {
        if (args.Length > 2 || (args.Length == 2 && !RespArgs.Is(args[1], "SYNC") && !RespArgs.Is(args[1], "ASYNC")))
        {
            return RespReply.Syntax;
        }

        var db = await session.DatabaseAsync(cancellationToken).ConfigureAwait(false);
        var collections = RedisTypes.Keys(db).Select(k => k.Position).Where(p => p[0] == 'c').Select(p => p[1..]).Prepend(RedisStore.Strings).ToList();
        var ops = collections.SelectMany(c => db.Scan(c).Select(doc => DocumentOp.Delete(c, doc.Id))).ToList();
        for (var i = 0; i < ops.Count; i += 1000)
        {
            await RedisStore.CommitAsync(session, db, ops.GetRange(i, Math.Min(1000, ops.Count - i)), cancellationToken).ConfigureAwait(false);
        }

        return RespReply.Ok;
    }

    private static RespReply Expire(RedisTransaction tx, byte[][] args, string unit)
    {
        if (!RespArgs.TryInteger(args[2], out var amount))
        {
            return RespReply.NotInteger;
        }

        // NX: only without an expiry; XX: only with one; GT / LT: only to a later / earlier one.
        string? condition = null;
        foreach (var option in args.Skip(3))
        {
            var word = RespArgs.Text(option).ToUpperInvariant();
            if (word is not ("NX" or "XX" or "GT" or "LT") || condition is not null)
            {
                return RespReply.Error(condition is null ? $"ERR Unsupported option {RespArgs.Text(option)}" : "ERR NX and XX, GT or LT options at the same time are not compatible");
            }

            condition = word;
        }

        var nowMs = tx.Clock.GetUtcNow().ToUnixTimeMilliseconds();
        var atMs = unit switch
        {
            "EX" => amount > (long.MaxValue - nowMs) / 1000 ? long.MaxValue : nowMs + (amount * 1000),
            "PX" => amount > long.MaxValue - nowMs ? long.MaxValue : nowMs + amount,
            "EXAT" => amount > long.MaxValue / 1000 ? long.MaxValue : amount * 1000,
            _ => amount,
        };

        var type = RedisTypes.TypeOf(tx, args[1]);
        if (type == "none")
        {
            return RespReply.Number(0);
        }

        var oldAt = RedisTypes.ExpiryOfKey(tx, args[1], type);
        var allowed = condition switch
        {
            "NX" => oldAt is null,
            "XX" => oldAt is not null,
            "GT" => oldAt is not null && atMs > oldAt * 1000,
            "LT" => oldAt is null || atMs < oldAt * 1000,
            _ => true,
        };
        if (!allowed)
        {
            return RespReply.Number(0);
        }

        // An expiry now or in the past deletes the key, as in Redis.
        if (atMs <= nowMs)
        {
            RedisTypes.Delete(tx, args[1]);
        }
        else
        {
            RedisTypes.SetExpiry(tx, args[1], type, atMs / 1000.0);
        }

        return RespReply.Number(1);
    }

    private static RespReply Ttl(RedisTransaction tx, byte[][] args, long unitMs)
    {
        var type = RedisTypes.TypeOf(tx, args[1]);
        if (type == "none")
        {
            return RespReply.Number(-2);
        }

        if (RedisTypes.ExpiryOfKey(tx, args[1], type) is not { } at)
        {
            return RespReply.Number(-1);
        }

        var leftMs = Expiry.MillisecondsLeft(at, tx.Clock);
        return RespReply.Number(unitMs == 1 ? leftMs : (leftMs + 500) / 1000);
    }

    private static RespReply Persist(RedisTransaction tx, byte[][] args)
    {
        var type = RedisTypes.TypeOf(tx, args[1]);
        if (type == "none" || RedisTypes.ExpiryOfKey(tx, args[1], type) is null)
        {
            return RespReply.Number(0);
        }

        RedisTypes.SetExpiry(tx, args[1], type, null);
        return RespReply.Number(1);
    }
}
