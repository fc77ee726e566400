using Quire.Documents;

namespace Quire.Server.Resp;

/// <summary>GET, SET (with EX PX EXAT PXAT KEEPTTL NX XX GET), SETNX, SETEX, PSETEX, GETSET, GETDEL, MGET, MSET, MSETNX, APPEND, STRLEN.</summary>
internal static class StringCommands
{
    public static IEnumerable<RespCommand> All() =>
    [
        new("GET", 2, GetFast, Data: Get),
        new("SET", -3, Set, (s, a) => a.Length == 3 && NoAggregate(s, a[1]) ? Blind(() => [Put(RedisStore.Id(a[1]), a[2], null, null)]) : null),
        new("SETNX", 3, (tx, a) => SetCore(tx, a[1], a[2], SetOptions.Plain with { IfAbsent = true }, nx: true)),
        new("SETEX", 4, (tx, a) => SetWithTtl(tx, a, 1000)),
        new("PSETEX", 4, (tx, a) => SetWithTtl(tx, a, 1)),
        new("GETSET", 3, (tx, a) => SetCore(tx, a[1], a[2], SetOptions.Plain with { ReturnOld = true })),
        new("GETDEL", 2, GetDel),
        new("MGET", -2, MGet),
        new("MSET", -3, MSet, (s, a) => a.Length % 2 == 1 && Enumerable.Range(0, a.Length / 2).All(i => NoAggregate(s, a[1 + (2 * i)])) ? Blind(() => [.. Enumerable.Range(0, a.Length / 2).Select(i => Put(RedisStore.Id(a[1 + (2 * i)]), a[2 + (2 * i)], null, null))]) : null),
        new("MSETNX", -3, MSetNx),
        new("APPEND", 3, Append),
        new("STRLEN", 2, StrLen),
    ];

    /// <summary>
    /// True when a blind write of <paramref name="key"/> overwrites nothing but a string: the
    /// database is open and holds no hash, set or list under the key (else SET deletes those
    /// first, which is a read). A key that is a string now is one (a key holds one type), so
    /// only a new key costs the look at the three collections it could name.
    /// </summary>
    private static bool NoAggregate(RespSession session, byte[] key) =>
        session.OpenDatabase is { } db && RedisKeys.IdOf(key) is { } id
            && (db.Contains(RedisStore.Strings, id) || !db.AnyDocuments([.. RedisCollections.All(key).Select(c => c.Name)]));

    /// <summary>A blind write of <paramref name="ops"/> answered OK; a key too long to store is its error instead.</summary>
    private static BlindWrite Blind(Func<IReadOnlyList<DocumentOp>> ops)
    {
        try
        {
            return new BlindWrite(ops(), RespReply.Ok);
        }
        catch (RespException ex)
        {
            return new BlindWrite([], RespReply.Error(ex.Message));
        }
    }

    private static async ValueTask<RespReply> GetFast(RespSession session, byte[][] args, CancellationToken cancellationToken)
    {
        var db = await session.DatabaseAsync(cancellationToken).ConfigureAwait(false);
        if (RedisStore.Read(db, args[1]) is { } doc)
        {
            return ValueReply(doc);   // the common case: no transaction
        }

        return await RedisStore.RunAsync(session, tx => Get(tx, args), cancellationToken).ConfigureAwait(false);
    }

    private static RespReply Get(RedisTransaction tx, byte[][] args) => ValueReply(RedisTypes.String(tx, args[1]));

    /// <summary>A string key's value as a bulk reply; null when absent; WRONGTYPE when the document holds no string.</summary>
    internal static RespReply ValueReply(Document? doc) =>
        doc is null ? RespReply.Null : RedisValues.ValueOf(doc.Json) is { } value ? RespReply.Bulk(value) : RespReply.WrongType;

    /// <summary>What SET's options ask for.</summary>
    internal readonly record struct SetOptions(bool IfAbsent, bool IfPresent, bool ReturnOld, bool KeepTtl, double? TtlSeconds)
    {
        public static SetOptions Plain => default;
    }

    private static RespReply Set(RedisTransaction tx, byte[][] args)
    {
        var options = SetOptions.Plain;
        for (var i = 3; i < args.Length; i++)
        {
            var arg = args[i];
            if (RespArgs.Is(arg, "NX") && !options.IfPresent)
            {
                options = options with { IfAbsent = true };
            }
            else if (RespArgs.Is(arg, "XX") && !options.IfAbsent)
            {
                options = options with { IfPresent = true };
            }
            else if (RespArgs.Is(arg, "GET"))
            {
                options = options with { ReturnOld = true };
            }
            else if (RespArgs.Is(arg, "KEEPTTL") && options.TtlSeconds is null)
            {
                options = options with { KeepTtl = true };
            }
            else if ((RespArgs.Is(arg, "EX") || RespArgs.Is(arg, "PX") || RespArgs.Is(arg, "EXAT") || RespArgs.Is(arg, "PXAT")) && !options.KeepTtl && options.TtlSeconds is null && i + 1 < args.Length)
            {
                if (!RespArgs.TryInteger(args[++i], out var amount))
                {
                    return RespReply.NotInteger;
                }

                var ttl = Expiry.TtlSeconds(RespArgs.Text(arg).ToUpperInvariant(), amount, tx.Clock);
                if (ttl is null)
                {
                    return RespReply.Error("ERR invalid expire time in 'set' command");
                }

                options = options with { TtlSeconds = ttl };
            }
            else
            {
                return RespReply.Syntax;
            }
        }

        return SetCore(tx, args[1], args[2], options);
    }

    private static RespReply SetWithTtl(RedisTransaction tx, byte[][] args, long unitMs)
    {
        if (!RespArgs.TryInteger(args[2], out var amount))
        {
            return RespReply.NotInteger;
        }

        if (amount <= 0 || amount > long.MaxValue / unitMs)
        {
            return RespReply.Error($"ERR invalid expire time in '{RespArgs.Text(args[0]).ToLowerInvariant()}' command");
        }

        return SetCore(tx, args[1], args[3], SetOptions.Plain with { TtlSeconds = amount * unitMs / 1000.0 });
    }

    /// <summary>SET and its kin: a string key written whatever the key held before (a hash, set or list is deleted), unless an option says otherwise.</summary>
    internal static RespReply SetCore(RedisTransaction tx, byte[] key, byte[] value, SetOptions options, bool nx = false)
    {
        var id = RedisStore.Id(key);
        var current = tx.Get(RedisStore.Strings, id);
        var other = current is null && RedisTypes.TypeOf(tx, key) != "none";
        var old = current is null ? null : RedisValues.ValueOf(current.Json);
        if (options.ReturnOld && (other || (current is not null && old is null)))
        {
            return RespReply.WrongType;
        }

        var exists = current is not null || other;
        var proceed = !(options.IfAbsent && exists) && !(options.IfPresent && !exists);
        var reply = nx ? RespReply.Number(proceed ? 1 : 0) : options.ReturnOld ? RespReply.Bulk(old) : proceed ? RespReply.Ok : RespReply.Null;
        if (!proceed)
        {
            return reply;
        }

        if (other)
        {
            RedisTypes.Delete(tx, key);
        }

        var keepAt = options.KeepTtl && current is not null ? RedisValues.ExpiresAt(current.Json) : null;
        tx.Write(Put(id, value, options.TtlSeconds, keepAt));
        return reply;
    }

    /// <summary>
    /// The put of a string key: its expiry as <c>_expires_at</c> in the document (now plus
    /// <paramref name="ttlSeconds"/>, else <paramref name="expiresAt"/>), so a transaction
    /// reading it back sees the expiry too.
    /// </summary>
    internal static DocumentOp Put(string id, ReadOnlySpan<byte> value, double? ttlSeconds, double? expiresAt)
    {
        if (ttlSeconds is { } ttl)
        {
            expiresAt = (TimeProvider.System.GetUtcNow().ToUnixTimeMilliseconds() / 1000.0) + ttl;
        }

        return DocumentOp.Put(RedisStore.Strings, id, RedisValues.Document(value, expiresAt));
    }

    private static RespReply GetDel(RedisTransaction tx, byte[][] args) =>
        RedisStore.ReadModifyWrite(tx, args[1], current =>
        {
            var reply = ValueReply(current);
            return current is null || reply.Kind == RespReplyKind.Error ? ([], reply) : ([DocumentOp.Delete(RedisStore.Strings, current.Id)], reply);
        });

    private static RespReply MGet(RedisTransaction tx, byte[][] args)
    {
        var replies = new RespReply[args.Length - 1];
        for (var i = 1; i < args.Length; i++)
        {
            var doc = tx.Get(RedisStore.Strings, RedisStore.Id(args[i]));
            replies[i - 1] = doc is null ? RespReply.Null : RespReply.Bulk(RedisValues.ValueOf(doc.Json));   // MGET gives nil for other types
        }

        return RespReply.Array(replies);
    }

    private static RespReply MSet(RedisTransaction tx, byte[][] args)
    {
        if (args.Length % 2 == 0)
        {
            return RespReply.Arity("mset");
        }

        for (var i = 1; i < args.Length; i += 2)
        {
            SetCore(tx, args[i], args[i + 1], SetOptions.Plain);   // one atomic commit
        }

        return RespReply.Ok;
    }

    private static RespReply MSetNx(RedisTransaction tx, byte[][] args)
    {
        if (args.Length % 2 == 0)
        {
            return RespReply.Arity("msetnx");
        }

        for (var i = 1; i < args.Length; i += 2)
        {
            if (RedisTypes.TypeOf(tx, args[i]) != "none")
            {
                return RespReply.Number(0);   // every key absent, or none is set
            }
        }

        for (var i = 1; i < args.Length; i += 2)
        {
            tx.Write(Put(RedisStore.Id(args[i]), args[i + 1], null, null));
        }

        return RespReply.Number(1);
    }

    private static RespReply Append(RedisTransaction tx, byte[][] args) =>
        RedisStore.ReadModifyWrite(tx, args[1], current =>
        {
            var old = current is null ? [] : RedisValues.ValueOf(current.Json);
            if (old is null)
            {
                return ([], RespReply.WrongType);
            }

            byte[] joined = [.. old, .. args[2]];
            var keepAt = current is null ? null : RedisValues.ExpiresAt(current.Json);
            return ([Put(RedisStore.Id(args[1]), joined, null, keepAt)], RespReply.Number(joined.Length));
        });

    private static RespReply StrLen(RedisTransaction tx, byte[][] args)
    {
        var reply = ValueReply(RedisTypes.String(tx, args[1]));
        return reply.Kind switch
        {
            RespReplyKind.Null => RespReply.Number(0),
            RespReplyKind.Bulk => RespReply.Number(reply.Bytes!.Length),
            _ => reply,
        };
    }
}
