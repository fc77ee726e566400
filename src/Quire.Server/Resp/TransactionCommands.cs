namespace Quire.Server.Resp;

/// <summary>
/// MULTI, EXEC, DISCARD, WATCH, UNWATCH. After MULTI a connection's data commands are queued
/// (answered QUEUED) and EXEC runs them on one <see cref="RedisTransaction"/>: each sees the
/// writes of those before it, and all their writes are one atomic commit, made on condition
/// that nothing any of them read has changed meanwhile (else they run again). A command
/// refused while queueing (unknown, wrong arity, not a data command) makes EXEC fail with
/// EXECABORT; one that fails when run answers its error and the others still apply, as in
/// Redis. WATCH remembers what each key held (its string document, or every document of its
/// hash, set or list, with their versions); EXEC answers nil and writes nothing when any of
/// it changed, and holds its commit to those versions.
/// </summary>
internal static class TransactionCommands
{
    /// <summary>The commands a connection in MULTI runs at once rather than queueing.</summary>
    private static readonly HashSet<string> Immediate = new(StringComparer.Ordinal) { "EXEC", "DISCARD", "MULTI", "WATCH", "QUIT", "UNWATCH" };

    public static IEnumerable<RespCommand> All() =>
    [
        new("MULTI", 1, (s, a, c) => ValueTask.FromResult(Multi(s))),
        new("EXEC", 1, ExecAsync),
        new("DISCARD", 1, (s, a, c) => ValueTask.FromResult(Discard(s))),
        new("WATCH", -2, WatchAsync),
        new("UNWATCH", 1, (s, a, c) =>
        {
            s.Watched.Clear();
            return ValueTask.FromResult(RespReply.Ok);
        }),
    ];

    /// <summary>
    /// For a connection in MULTI: the reply to <paramref name="command"/> (QUEUED, or the
    /// error that aborts the transaction), or null when it runs at once.
    /// </summary>
    public static RespReply? Queue(RespSession session, RespCommand? command, byte[][] args, RespReply? refusal)
    {
        if (session.Queued is not { } queue || (command is not null && Immediate.Contains(command.Name)))
        {
            return null;
        }

        if (refusal is { } error)
        {
            session.QueueFailed = true;
            return error;
        }

        if (command!.Data is null)
        {
            session.QueueFailed = true;
            return RespReply.Error($"ERR {command.Name} cannot run inside MULTI in Quire (only commands on data can)");
        }

        queue.Add((command, args));
        return RespReply.Simple("QUEUED");
    }

    private static RespReply Multi(RespSession session)
    {
        if (session.Queued is not null)
        {
            return RespReply.Error("ERR MULTI calls can not be nested");
        }

        session.Queued = [];
        session.QueueFailed = false;
        return RespReply.Ok;
    }

    private static RespReply Discard(RespSession session)
    {
        if (session.Queued is null)
        {
            return RespReply.Error("ERR DISCARD without MULTI");
        }

        session.Queued = null;
        session.Watched.Clear();
        return RespReply.Ok;
    }

    private static async ValueTask<RespReply> WatchAsync(RespSession session, byte[][] args, CancellationToken cancellationToken)
    {
        if (session.Queued is not null)
        {
            return RespReply.Error("ERR WATCH inside MULTI is not allowed");
        }

        var db = await session.DatabaseAsync(cancellationToken).ConfigureAwait(false);
        var tx = new RedisTransaction(db, session.Clock);
        foreach (var key in args.Skip(1))
        {
            session.Watched.Add((db.Name, key, Fingerprint(tx, key)));
        }

        return RespReply.Ok;
    }

    private static async ValueTask<RespReply> ExecAsync(RespSession session, byte[][] args, CancellationToken cancellationToken)
    {
        if (session.Queued is not { } queue)
        {
            return RespReply.Error("ERR EXEC without MULTI");
        }

        var failed = session.QueueFailed;
        var watched = session.Watched.ToList();
        session.Queued = null;
        session.Watched.Clear();
        if (failed)
        {
            return RespReply.Error("EXECABORT Transaction discarded because of previous errors.");
        }

        var db = await session.DatabaseAsync(cancellationToken).ConfigureAwait(false);
        return await RedisStore.RunAsync(session, tx =>
        {
            foreach (var (database, key, seen) in watched)
            {
                if (database != db.Name || !Fingerprint(tx, key).SequenceEqual(seen))
                {
                    return RespReply.NullArray;   // a watched key changed (or was watched in another database)
                }

                foreach (var (collection, id, version) in seen)
                {
                    tx.Pin(collection, id, version);
                }
            }

            var replies = new RespReply[queue.Count];
            for (var i = 0; i < queue.Count; i++)
            {
                var (command, commandArgs) = queue[i];
                try
                {
                    replies[i] = command.Data!(tx, commandArgs);
                }
                catch (Exception ex) when (ex is RespException or ArgumentException)
                {
                    replies[i] = RespReply.Error(ex is RespException ? ex.Message : $"ERR {ex.Message}");
                }
            }

            return RespReply.Array(replies);
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>What <paramref name="key"/> holds now: its string document or its collection's documents, with versions (-1: no string).</summary>
    private static List<(string Collection, string Id, long Version)> Fingerprint(RedisTransaction tx, byte[] key)
    {
        var id = RedisStore.Id(key);
        var seen = new List<(string, string, long)> { (RedisStore.Strings, id, tx.Get(RedisStore.Strings, id)?.Seq ?? -1) };
        foreach (var (_, collection) in RedisCollections.All(key))
        {
            seen.AddRange(tx.Scan(collection).Select(d => (collection, d.Id, d.Seq)));
        }

        return seen;
    }
}
