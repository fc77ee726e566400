using Quire.Databases;
using Quire.Documents;

namespace Quire.Server.Resp;

/// <summary>
/// Redis strings in the documents layer, as nedbd keeps them: collection <c>_kv</c>, one
/// document per key (<see cref="RedisKeys"/>, <see cref="RedisValues"/>). Reads see what the
/// database has published; a read-modify-write commits on condition that the key is still
/// what it read (<see cref="RedisTransaction"/>), and runs again when another client changed
/// it first, so INCR, APPEND and their kin are atomic.
/// </summary>
internal static class RedisStore
{
    /// <summary>The collection string keys live in.</summary>
    public const string Strings = "_kv";

    private const int MaxAttempts = 100;

    /// <summary>The id of <paramref name="key"/>.</summary>
    /// <exception cref="RespException">The key is too long to store.</exception>
    public static string Id(byte[] key) =>
        RedisKeys.IdOf(key) ?? throw new RespException($"ERR key too long: at most {Names.MaxIdBytes} bytes of UTF-8, or 381 bytes otherwise");

    public static Document? Read(Database db, byte[] key) => db.Get(Strings, Id(key));

    /// <summary>
    /// Commits <paramref name="ops"/> through the service (queue wait, errors). No client is
    /// named: a client's writes take its next nonce, which every connection would contend for.
    /// </summary>
    public static Task<BatchResult> CommitAsync(RespSession session, Database db, IReadOnlyList<DocumentOp> ops, CancellationToken cancellationToken) =>
        session.Service.WriteAsync(db, ops, null, cancellationToken);

    /// <summary>
    /// Runs <paramref name="command"/> on a fresh <see cref="RedisTransaction"/> and commits
    /// what it wrote, on condition that nothing it read has changed; runs it again if something
    /// has. A command that writes nothing commits nothing.
    /// </summary>
    public static async ValueTask<RespReply> RunAsync(RespSession session, Func<RedisTransaction, RespReply> command, CancellationToken cancellationToken)
    {
        var db = await session.DatabaseAsync(cancellationToken).ConfigureAwait(false);
        for (var attempt = 0; ; attempt++)
        {
            var tx = new RedisTransaction(db, session.Clock);
            var reply = command(tx);
            if (!tx.HasWrites)
            {
                return reply;
            }

            try
            {
                await CommitAsync(session, db, tx.Ops(), cancellationToken).ConfigureAwait(false);
                return reply;
            }
            catch (PreconditionFailedException) when (attempt < MaxAttempts)
            {
                // Another client changed what the command read: run it again.
            }
        }
    }

    /// <summary>
    /// A string command's read-modify-write: reads <paramref name="key"/> (WRONGTYPE when it
    /// holds another type), lets <paramref name="change"/> decide the ops and the reply from
    /// what it read, and writes them unless the reply is an error.
    /// </summary>
    public static RespReply ReadModifyWrite(RedisTransaction tx, byte[] key, Func<Document?, (IReadOnlyList<DocumentOp> Ops, RespReply Reply)> change)
    {
        var current = RedisTypes.String(tx, key);
        var (ops, reply) = change(current);
        if (reply.Kind != RespReplyKind.Error)
        {
            tx.Write(ops);
        }

        return reply;
    }
}
