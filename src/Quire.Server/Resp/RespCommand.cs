using Quire.Documents;

namespace Quire.Server.Resp;

/// <summary>Runs one command for a session; arguments include the command's name at 0.</summary>
internal delegate ValueTask<RespReply> RespHandler(RespSession session, byte[][] args, CancellationToken cancellationToken);

/// <summary>
/// Runs one command's reads and writes on a transaction (<see cref="RedisTransaction"/>): the
/// form every data command has, so that it runs alone (one atomic commit of its own) or among
/// a MULTI's commands (one commit for all of them).
/// </summary>
internal delegate RespReply DataHandler(RedisTransaction tx, byte[][] args);

/// <summary>
/// What a blind write (it reads nothing) commits, and its reply once committed; null from
/// <see cref="RespCommand.Blind"/> when these arguments make it no blind write (SET ... NX).
/// An error reply with no ops is answered as it is.
/// </summary>
internal delegate BlindWrite? BlindWriter(RespSession session, byte[][] args);

/// <summary>A blind write's ops and reply (see <see cref="BlindWriter"/>).</summary>
internal sealed record BlindWrite(IReadOnlyList<DocumentOp> Ops, RespReply Reply);

/// <summary>
/// A command: its name, its arity in Redis's convention (n: exactly n arguments with the
/// name; -n: at least n), what runs it, and, for a blind write, its ops: consecutive blind
/// writes of a pipeline are committed together (<see cref="WriteCombiner"/>). Every other
/// command waits for its connection's writes ahead of it, so a pipeline reads its own writes.
/// A data command has its <see cref="DataHandler"/> (<see cref="Data"/>), which MULTI queues;
/// its <see cref="Handler"/> runs that alone unless it has a faster path of its own.
/// </summary>
internal sealed record RespCommand(string Name, int Arity, RespHandler Handler, BlindWriter? Blind = null, DataHandler? Data = null)
{
    /// <summary>A data command run alone as one atomic commit (<see cref="RedisStore.RunAsync"/>).</summary>
    public RespCommand(string name, int arity, DataHandler data, BlindWriter? blind = null)
        : this(name, arity, (s, a, c) => RedisStore.RunAsync(s, tx => data(tx, a), c), blind, data)
    {
    }

    /// <summary>Whether <paramref name="count"/> arguments (the name included) fit the arity.</summary>
    public bool Accepts(int count) => Arity >= 0 ? count == Arity : count >= -Arity;
}
