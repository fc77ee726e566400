using Quire.Documents;

namespace Quire.Server.Resp;

/// <summary>GET, SET (with EX PX EXAT PXAT KEEPTTL NX XX GET), SETNX, SETEX, PSETEX, GETSET, GETDEL, MGET, MSET, MSETNX, APPEND, STRLEN.</summary>
internal static class StringCommands
{
    public static IEnumerable<RespCommand> All() =>
    [
        new("GET", 2, Get),
        new("SET", -3, Set, (s, a) => a.Length == 3 ? Blind(() => [Put(RedisStore.Id(a[1]), a[2], null, null)]) : null),
        new("SETNX", 3, (s, a, c) => SetCore(s, a[1], a[2], SetOptions.Plain with { IfAbsent = true }, c, nx: true)),
        new("SETEX", 4, (s, a, c) => SetWithTtl(s, a, 1000, c)),
        new("PSETEX", 4, (s, a, c) => SetWithTtl(s, a, 1, c)),
        new("GETSET", 3, (s, a, c) => SetCore(s, a[1], a[2], SetOptions.Plain with { ReturnOld = true }, c)),
        new("GETDEL", 2, GetDel),
        new("MGET", -2, MGet),
        new("MSET", -3, MSet, (s, a) => a.Length % 2 == 1 ? Blind(() => [.. Enumerable.Range(0, a.Length / 2).Select(i => Put(RedisStore.Id(a[1 + (2 * i)]), a[2 + (2 * i)], null, null))]) : null),
        new("MSETNX", -3, MSetNx),
        new("APPEND", 3, Append),
        new("STRLEN", 2, StrLen),
    ];

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

    private static async ValueTask<RespReply> Get(RespSession session, byte[][] args, CancellationToken cancellationToken)
    {
        var db = await session.DatabaseAsync(cancellationToken).ConfigureAwait(false);
        return ValueReply(RedisStore.Read(db, args[1]));
    }

    /// <summary>A string key's value as a bulk reply; null when absent; WRONGTYPE when the document holds no string.</summary>
    internal static RespReply ValueReply(Document? doc) =>
        doc is null ? RespReply.Null : RedisValues.ValueOf(doc.Json) is { } value ? RespReply.Bulk(value) : RespReply.WrongType;

    /// <summary>What SET's options ask for.</summary>
    internal readonly record struct SetOptions(bool IfAbsent, bool IfPresent, bool ReturnOld, bool KeepTtl, double? TtlSeconds)
    {
        public static SetOptions Plain => default;
    }

    private static ValueTask<RespReply> Set(RespSession session, byte[][] args, CancellationToken cancellationToken)
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
                    return ValueTask.FromResult(RespReply.NotInteger);
                }

                var ttl = Expiry.TtlSeconds(RespArgs.Text(arg).ToUpperInvariant(), amount, session.Clock);
                if (ttl is null)
                {
                    return ValueTask.FromResult(RespReply.Error("ERR invalid expire time in 'set' command"));
                }

                options = options with { TtlSeconds = ttl };
            }
            else
            {
                return ValueTask.FromResult(RespReply.Syntax);
            }
        }

        return SetCore(session, args[1], args[2], options, cancellationToken);
    }

    private static ValueTask<RespReply> SetWithTtl(RespSession session, byte[][] args, long unitMs, CancellationToken cancellationToken)
    {
        if (!RespArgs.TryInteger(args[2], out var amount))
        {
            return ValueTask.FromResult(RespReply.NotInteger);
        }

        if (amount <= 0 || amount > long.MaxValue / unitMs)
        {
            return ValueTask.FromResult(RespReply.Error($"ERR invalid expire time in '{RespArgs.Text(args[0]).ToLowerInvariant()}' command"));
        }

        return SetCore(session, args[1], args[3], SetOptions.Plain with { TtlSeconds = amount * unitMs / 1000.0 }, cancellationToken);
    }

    internal static async ValueTask<RespReply> SetCore(RespSession session, byte[] key, byte[] value, SetOptions options, CancellationToken cancellationToken, bool nx = false)
    {
        var id = RedisStore.Id(key);
        if (!options.IfAbsent && !options.IfPresent && !options.ReturnOld && !options.KeepTtl)
        {
            // A blind write: no read, so pipelined SETs share group commits.
            var db = await session.DatabaseAsync(cancellationToken).ConfigureAwait(false);
            await RedisStore.CommitAsync(session, db, [Put(id, value, options.TtlSeconds, null)], cancellationToken).ConfigureAwait(false);
            return RespReply.Ok;
        }

        return await RedisStore.ReadModifyWriteAsync(session, key, current =>
        {
            var old = current is null ? null : RedisValues.ValueOf(current.Json);
            if (current is not null && old is null && options.ReturnOld)
            {
                return ([], RespReply.WrongType);
            }

            var proceed = !(options.IfAbsent && current is not null) && !(options.IfPresent && current is null);
            var reply = nx ? RespReply.Number(proceed ? 1 : 0) : options.ReturnOld ? RespReply.Bulk(old) : proceed ? RespReply.Ok : RespReply.Null;
            if (!proceed)
            {
                return ([], reply);
            }

            var keepAt = options.KeepTtl && current is not null ? RedisValues.ExpiresAt(current.Json) : null;
            return ([Put(id, value, options.TtlSeconds, keepAt)], reply);
        }, cancellationToken).ConfigureAwait(false);
    }

    internal static DocumentOp Put(string id, ReadOnlySpan<byte> value, double? ttlSeconds, double? expiresAt) =>
        DocumentOp.Put(RedisStore.Strings, id, RedisValues.Document(value, expiresAt)) with { TtlSeconds = ttlSeconds };

    private static ValueTask<RespReply> GetDel(RespSession session, byte[][] args, CancellationToken cancellationToken) =>
        RedisStore.ReadModifyWriteAsync(session, args[1], current =>
        {
            var reply = StringCommands.ValueReply(current);
            return current is null || reply.Kind == RespReplyKind.Error ? ([], reply) : ([DocumentOp.Delete(RedisStore.Strings, current.Id)], reply);
        }, cancellationToken);

    private static async ValueTask<RespReply> MGet(RespSession session, byte[][] args, CancellationToken cancellationToken)
    {
        var db = await session.DatabaseAsync(cancellationToken).ConfigureAwait(false);
        var replies = new RespReply[args.Length - 1];
        for (var i = 1; i < args.Length; i++)
        {
            var doc = RedisStore.Read(db, args[i]);
            replies[i - 1] = doc is null ? RespReply.Null : RespReply.Bulk(RedisValues.ValueOf(doc.Json));   // MGET gives nil for other types
        }

        return RespReply.Array(replies);
    }

    private static async ValueTask<RespReply> MSet(RespSession session, byte[][] args, CancellationToken cancellationToken)
    {
        if (args.Length % 2 == 0)
        {
            return RespReply.Arity("mset");
        }

        var ops = new List<DocumentOp>(args.Length / 2);
        for (var i = 1; i < args.Length; i += 2)
        {
            ops.Add(Put(RedisStore.Id(args[i]), args[i + 1], null, null));
        }

        var db = await session.DatabaseAsync(cancellationToken).ConfigureAwait(false);
        await RedisStore.CommitAsync(session, db, ops, cancellationToken).ConfigureAwait(false);   // one atomic commit
        return RespReply.Ok;
    }

    private static async ValueTask<RespReply> MSetNx(RespSession session, byte[][] args, CancellationToken cancellationToken)
    {
        if (args.Length % 2 == 0)
        {
            return RespReply.Arity("msetnx");
        }

        var ops = new List<DocumentOp>(args.Length / 2);
        for (var i = 1; i < args.Length; i += 2)
        {
            ops.Add(Put(RedisStore.Id(args[i]), args[i + 1], null, null) with { IfSeq = -1 });   // every key absent, or none is set
        }

        var db = await session.DatabaseAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await RedisStore.CommitAsync(session, db, ops, cancellationToken).ConfigureAwait(false);
            return RespReply.Number(1);
        }
        catch (PreconditionFailedException)
        {
            return RespReply.Number(0);
        }
    }

    private static ValueTask<RespReply> Append(RespSession session, byte[][] args, CancellationToken cancellationToken) =>
        RedisStore.ReadModifyWriteAsync(session, args[1], current =>
        {
            var old = current is null ? [] : RedisValues.ValueOf(current.Json);
            if (old is null)
            {
                return ([], RespReply.WrongType);
            }

            byte[] joined = [.. old, .. args[2]];
            var keepAt = current is null ? null : RedisValues.ExpiresAt(current.Json);
            return ([Put(RedisStore.Id(args[1]), joined, null, keepAt)], RespReply.Number(joined.Length));
        }, cancellationToken);

    private static async ValueTask<RespReply> StrLen(RespSession session, byte[][] args, CancellationToken cancellationToken)
    {
        var db = await session.DatabaseAsync(cancellationToken).ConfigureAwait(false);
        var reply = ValueReply(RedisStore.Read(db, args[1]));
        return reply.Kind switch
        {
            RespReplyKind.Null => RespReply.Number(0),
            RespReplyKind.Bulk => RespReply.Number(reply.Bytes!.Length),
            _ => reply,
        };
    }
}
