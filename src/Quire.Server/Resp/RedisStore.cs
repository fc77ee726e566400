using Quire.Databases;
using Quire.Documents;

namespace Quire.Server.Resp;

/// <summary>
/// Redis strings in the documents layer, as nedbd keeps them: collection <c>_kv</c>, one
/// document per key (<see cref="RedisKeys"/>, <see cref="RedisValues"/>). Reads see what the
/// database has published; a read-modify-write commits on condition that the key is still
/// the version it read (<c>if_seq</c>), and runs again when another client changed it first,
/// so INCR, APPEND and their kin are atomic.
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
    /// Reads <paramref name="key"/>, lets <paramref name="change"/> decide the ops from what it
    /// read (none: nothing to write) and the reply, and commits them on condition that the key
    /// was not changed meanwhile; again if it was.
    /// </summary>
    public static async ValueTask<RespReply> ReadModifyWriteAsync(RespSession session, byte[] key, Func<Document?, (IReadOnlyList<DocumentOp> Ops, RespReply Reply)> change, CancellationToken cancellationToken)
    {
        var db = await session.DatabaseAsync(cancellationToken).ConfigureAwait(false);
        var id = Id(key);
        for (var attempt = 0; ; attempt++)
        {
            var current = db.Get(Strings, id);
            var (ops, reply) = change(current);
            if (ops.Count == 0 || reply.Kind == RespReplyKind.Error)
            {
                return reply;
            }

            try
            {
                await CommitAsync(session, db, [.. ops.Select(op => op.Collection == Strings && op.Id == id ? op with { IfSeq = current?.Seq ?? -1 } : op)], cancellationToken).ConfigureAwait(false);
                return reply;
            }
            catch (PreconditionFailedException) when (attempt < MaxAttempts)
            {
                // Another client changed the key between the read and the commit: read it again.
            }
        }
    }
}
