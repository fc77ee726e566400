using Quire.Documents;

namespace Quire.Server.Resp;

/// <summary>DEL, UNLINK, EXISTS, TYPE, KEYS, SCAN, RENAME, RENAMENX, DBSIZE, FLUSHDB, EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT, TTL, PTTL, PERSIST, on string keys.</summary>
internal static class KeyCommands
{
    public static IEnumerable<RespCommand> All() =>
    [
        new("DEL", -2, Delete),
        new("UNLINK", -2, Delete),
        new("EXISTS", -2, Exists),
        new("TYPE", 2, Type),
        new("KEYS", 2, Keys),
        new("DBSIZE", 1, DbSize),
        new("FLUSHDB", -1, FlushDb),
        new("EXPIRE", -3, (s, a, c) => ExpireAsync(s, a, "EX", c)),
        new("PEXPIRE", -3, (s, a, c) => ExpireAsync(s, a, "PX", c)),
        new("EXPIREAT", -3, (s, a, c) => ExpireAsync(s, a, "EXAT", c)),
        new("PEXPIREAT", -3, (s, a, c) => ExpireAsync(s, a, "PXAT", c)),
        new("TTL", 2, (s, a, c) => TtlAsync(s, a, 1000, c)),
        new("PTTL", 2, (s, a, c) => TtlAsync(s, a, 1, c)),
        new("PERSIST", 2, Persist),
        new("SCAN", -2, Scan),
        new("RENAME", 3, (s, a, c) => RenameAsync(s, a, onlyIfAbsent: false, c)),
        new("RENAMENX", 3, (s, a, c) => RenameAsync(s, a, onlyIfAbsent: true, c)),
    ];

    private static async ValueTask<RespReply> Delete(RespSession session, byte[][] args, CancellationToken cancellationToken)
    {
        // Each key as its own conditional delete: the count is exact even when other clients race.
        long deleted = 0;
        foreach (var key in args.Skip(1).DistinctBy(k => Convert.ToBase64String(k)))
        {
            var reply = await RedisStore.ReadModifyWriteAsync(session, key, current =>
                current is null ? ([], RespReply.Number(0)) : ([DocumentOp.Delete(RedisStore.Strings, current.Id)], RespReply.Number(1)), cancellationToken).ConfigureAwait(false);
            deleted += reply.Integer;
        }

        return RespReply.Number(deleted);
    }

    private static async ValueTask<RespReply> Exists(RespSession session, byte[][] args, CancellationToken cancellationToken)
    {
        var db = await session.DatabaseAsync(cancellationToken).ConfigureAwait(false);
        return RespReply.Number(args.Skip(1).Count(key => RedisStore.Read(db, key) is not null));   // a key named twice counts twice, as in Redis
    }

    private static async ValueTask<RespReply> Type(RespSession session, byte[][] args, CancellationToken cancellationToken)
    {
        var db = await session.DatabaseAsync(cancellationToken).ConfigureAwait(false);
        return RespReply.Simple(RedisStore.Read(db, args[1]) is null ? "none" : "string");
    }

    private static async ValueTask<RespReply> Keys(RespSession session, byte[][] args, CancellationToken cancellationToken)
    {
        var db = await session.DatabaseAsync(cancellationToken).ConfigureAwait(false);
        var keys = new List<RespReply>();
        foreach (var doc in db.Scan(RedisStore.Strings))
        {
            var key = RedisKeys.KeyOf(doc.Id);
            if (RedisGlob.Matches(args[1], key))
            {
                keys.Add(RespReply.Bulk(key));
            }
        }

        return RespReply.Array([.. keys]);
    }

    /// <summary>SCAN cursor [MATCH pattern] [COUNT n] [TYPE type]: up to n keys looked at per call, in id order; cursor 0 at the end.</summary>
    private static async ValueTask<RespReply> Scan(RespSession session, byte[][] args, CancellationToken cancellationToken)
    {
        if (!ulong.TryParse(args[1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var cursor))
        {
            return RespReply.Error("ERR invalid cursor");
        }

        byte[]? pattern = null;
        var count = 10;
        var onlyStrings = true;
        for (var i = 2; i < args.Length; i += 2)
        {
            if (i + 1 >= args.Length)
            {
                return RespReply.Syntax;
            }

            if (RespArgs.Is(args[i], "MATCH"))
            {
                pattern = args[i + 1];
            }
            else if (RespArgs.Is(args[i], "COUNT"))
            {
                if (!RespArgs.TryInteger(args[i + 1], out var n) || n < 1)
                {
                    return n < 1 && RespArgs.TryInteger(args[i + 1], out _) ? RespReply.Syntax : RespReply.NotInteger;
                }

                count = (int)Math.Min(n, 100_000);
            }
            else if (RespArgs.Is(args[i], "TYPE"))
            {
                onlyStrings = RespArgs.Is(args[i + 1], "string");
            }
            else
            {
                return RespReply.Syntax;
            }
        }

        string? after = null;
        if (cursor != 0 && !ScanCursors.TryTake(cursor, session.DatabaseName, out after))
        {
            return RespReply.Error("ERR invalid cursor");
        }

        var db = await session.DatabaseAsync(cancellationToken).ConfigureAwait(false);
        var keys = new List<RespReply>();
        string? last = null;
        var looked = 0;
        foreach (var doc in onlyStrings ? db.Scan(RedisStore.Strings, after) : [])
        {
            last = doc.Id;
            var key = RedisKeys.KeyOf(doc.Id);
            if (pattern is null || RedisGlob.Matches(pattern, key))
            {
                keys.Add(RespReply.Bulk(key));
            }

            if (++looked == count)
            {
                break;
            }
        }

        var next = looked == count && last is not null ? ScanCursors.Save(session.DatabaseName, last) : 0UL;
        return RespReply.Array([RespReply.Bulk(next.ToString(System.Globalization.CultureInfo.InvariantCulture)), RespReply.Array([.. keys])]);
    }

    /// <summary>
    /// RENAME / RENAMENX src dst: one atomic commit that writes dst (value and expiry) and
    /// deletes src, on condition that both are still as read; again if another client
    /// changed either first.
    /// </summary>
    private static async ValueTask<RespReply> RenameAsync(RespSession session, byte[][] args, bool onlyIfAbsent, CancellationToken cancellationToken)
    {
        var db = await session.DatabaseAsync(cancellationToken).ConfigureAwait(false);
        var (from, to) = (RedisStore.Id(args[1]), RedisStore.Id(args[2]));
        for (var attempt = 0; ; attempt++)
        {
            var source = db.Get(RedisStore.Strings, from);
            if (source is null)
            {
                return RespReply.Error("ERR no such key");
            }

            var value = RedisValues.ValueOf(source.Json);
            if (value is null)
            {
                return RespReply.WrongType;
            }

            var target = db.Get(RedisStore.Strings, to);
            if (from == to)
            {
                return onlyIfAbsent ? RespReply.Number(0) : RespReply.Ok;
            }

            if (onlyIfAbsent && target is not null)
            {
                return RespReply.Number(0);
            }

            try
            {
                await RedisStore.CommitAsync(session, db,
                [
                    StringCommands.Put(to, value, null, RedisValues.ExpiresAt(source.Json)) with { IfSeq = target?.Seq ?? -1 },
                    DocumentOp.Delete(RedisStore.Strings, from, source.Seq),
                ], cancellationToken).ConfigureAwait(false);
                return onlyIfAbsent ? RespReply.Number(1) : RespReply.Ok;
            }
            catch (PreconditionFailedException) when (attempt < 100)
            {
                // Another client changed one of the keys between the reads and the commit.
            }
        }
    }

    private static async ValueTask<RespReply> DbSize(RespSession session, byte[][] args, CancellationToken cancellationToken)
    {
        var db = await session.DatabaseAsync(cancellationToken).ConfigureAwait(false);
        return RespReply.Number(db.Scan(RedisStore.Strings).LongCount());
    }

    private static async ValueTask<RespReply> FlushDb(RespSession session, byte[][] args, CancellationToken cancellationToken)
    {
        if (args.Length > 2 || (args.Length == 2 && !RespArgs.Is(args[1], "SYNC") && !RespArgs.Is(args[1], "ASYNC")))
        {
            return RespReply.Syntax;
        }

        var db = await session.DatabaseAsync(cancellationToken).ConfigureAwait(false);
        var ops = db.Scan(RedisStore.Strings).Select(doc => DocumentOp.Delete(RedisStore.Strings, doc.Id)).ToList();
        for (var i = 0; i < ops.Count; i += 1000)
        {
            await RedisStore.CommitAsync(session, db, ops.GetRange(i, Math.Min(1000, ops.Count - i)), cancellationToken).ConfigureAwait(false);
        }

        return RespReply.Ok;
    }

    private static ValueTask<RespReply> ExpireAsync(RespSession session, byte[][] args, string unit, CancellationToken cancellationToken)
    {
        if (!RespArgs.TryInteger(args[2], out var amount))
        {
            return ValueTask.FromResult(RespReply.NotInteger);
        }

        // NX: only without an expiry; XX: only with one; GT / LT: only to a later / earlier one.
        string? condition = null;
        foreach (var option in args.Skip(3))
        {
            var word = RespArgs.Text(option).ToUpperInvariant();
            if (word is not ("NX" or "XX" or "GT" or "LT") || condition is not null)
            {
                return ValueTask.FromResult(RespReply.Error(condition is null ? $"ERR Unsupported option {RespArgs.Text(option)}" : "ERR NX and XX, GT or LT options at the same time are not compatible"));
            }

            condition = word;
        }

        var nowMs = session.Clock.GetUtcNow().ToUnixTimeMilliseconds();
        var atMs = unit switch
        {
            "EX" => amount > (long.MaxValue - nowMs) / 1000 ? long.MaxValue : nowMs + (amount * 1000),
            "PX" => amount > long.MaxValue - nowMs ? long.MaxValue : nowMs + amount,
            "EXAT" => amount > long.MaxValue / 1000 ? long.MaxValue : amount * 1000,
            _ => amount,
        };

        return RedisStore.ReadModifyWriteAsync(session, args[1], current =>
        {
            if (current is null)
            {
                return ([], RespReply.Number(0));
            }

            var value = RedisValues.ValueOf(current.Json);
            if (value is null)
            {
                return ([], RespReply.WrongType);
            }

            var oldAt = RedisValues.ExpiresAt(current.Json);
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
                return ([], RespReply.Number(0));
            }

            // An expiry now or in the past deletes the key, as in Redis.
            return atMs <= nowMs
                ? ([DocumentOp.Delete(RedisStore.Strings, current.Id)], RespReply.Number(1))
                : ([StringCommands.Put(current.Id, value, null, atMs / 1000.0)], RespReply.Number(1));
        }, cancellationToken);
    }

    private static async ValueTask<RespReply> TtlAsync(RespSession session, byte[][] args, long unitMs, CancellationToken cancellationToken)
    {
        var db = await session.DatabaseAsync(cancellationToken).ConfigureAwait(false);
        var doc = RedisStore.Read(db, args[1]);
        if (doc is null)
        {
            return RespReply.Number(-2);
        }

        if (RedisValues.ExpiresAt(doc.Json) is not { } at)
        {
            return RespReply.Number(-1);
        }

        var leftMs = Expiry.MillisecondsLeft(at, session.Clock);
        return RespReply.Number(unitMs == 1 ? leftMs : (leftMs + 500) / 1000);
    }

    private static ValueTask<RespReply> Persist(RespSession session, byte[][] args, CancellationToken cancellationToken) =>
        RedisStore.ReadModifyWriteAsync(session, args[1], current =>
        {
            if (current is null || RedisValues.ExpiresAt(current.Json) is null)
            {
                return ([], RespReply.Number(0));
            }

            var value = RedisValues.ValueOf(current.Json);
            return value is null ? ([], RespReply.WrongType) : ([StringCommands.Put(current.Id, value, null, null)], RespReply.Number(1));
        }, cancellationToken);
}
