using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;
using Quire.Server.Service;

namespace Quire.Server.Resp;

/// <summary>
/// A Redis connection on Kestrel's connection handling. The commands already received are
/// parsed together: a run of blind writes (SET, MSET, SETEX, ...) is committed as one batch
/// (<see cref="WriteCombiner"/>), so a pipeline of 64 SETs costs one fsync, and batches of
/// many connections share group commits. Any other command first waits for the
/// connection's writes ahead of it, so a pipeline reads its own writes, and a run of
/// blind writes waits for the commands before it, so writes land in the order sent. Replies go out in order, each
/// once its command is done (a write's once it is durable). Reading stops while a
/// connection has <see cref="MaxInFlight"/> commands unanswered, so a client that sends
/// faster than the disk takes is held back by TCP, never buffered without bound.
/// </summary>
internal sealed class RespConnectionHandler(QuireService service, AccessTokens tokens) : ConnectionHandler
{
    /// <summary>Commands a connection may have started and not yet answered.</summary>
    public const int MaxInFlight = 1024;

    private static long _nextId;
    private static long _connected;

    private readonly PubSubHub _pubSub = new();
    private KeyspaceNotifier? _notifier;

    /// <summary>Where failures nobody expected are logged (the host's logger, once it is built).</summary>
    public ILogger Logger { get; set; } = Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

    /// <summary>The server's keyspace notifications, over its pub/sub channels.</summary>
    public KeyspaceNotifier Notifier => LazyInitializer.EnsureInitialized(ref _notifier, () => new KeyspaceNotifier(service, _pubSub, () => Logger));

    /// <summary>Connections open now.</summary>
    public static long Connected => Interlocked.Read(ref _connected);

    public override async Task OnConnectedAsync(ConnectionContext connection)
    {
        Interlocked.Increment(ref _connected);
        try
        {
            await ServeAsync(connection).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is ConnectionResetException or OperationCanceledException or IOException)
        {
            // The client went away.
        }
        finally
        {
            Interlocked.Decrement(ref _connected);
        }
    }

    private async Task ServeAsync(ConnectionContext connection)
    {
        var input = connection.Transport.Input;
        var session = new RespSession(service, tokens, Interlocked.Increment(ref _nextId), _pubSub,
            input.CancelPendingRead,   // a published message wakes the read
            () => connection.Abort(new ConnectionAbortedException("a pub/sub client fell too far behind")),
            Notifier);
        try
        {
            await ServeAsync(connection, session).ConfigureAwait(false);
        }
        finally
        {
            PubSubCommands.LeaveAll(session);
        }
    }

    private async Task ServeAsync(ConnectionContext connection, RespSession session)
    {
        var input = connection.Transport.Input;
        var output = connection.Transport.Output;
        var writer = new RespWriter(output);
        var pending = new Queue<ValueTask<RespReply>>();
        var combiner = new WriteCombiner(session, Logger);
        var closing = connection.ConnectionClosed;
        while (true)
        {
            var read = await input.ReadAsync(closing).ConfigureAwait(false);
            var buffer = read.Buffer;
            var quit = false;
            var full = false;
            while (!quit)
            {
                if (pending.Count >= MaxInFlight)
                {
                    full = true;   // answer these before parsing more; what is left stays buffered
                    break;
                }

                var parse = RespParser.TryRead(buffer, service.Options.MaxRequestBytes, out var args, out var consumed, out var error);
                if (parse == RespParse.Incomplete)
                {
                    break;
                }

                buffer = buffer.Slice(consumed);
                if (parse == RespParse.Invalid)
                {
                    combiner.Flush(closing);
                    await DrainAsync(pending, writer, session).ConfigureAwait(false);
                    writer.Error($"ERR {error}");
                    await output.FlushAsync(closing).ConfigureAwait(false);
                    input.AdvanceTo(buffer.Start);
                    return;   // the stream cannot be trusted past a protocol error: close, as Redis does
                }

                if (args.Length == 0)
                {
                    continue;
                }

                if (RespCommands.IsHttp(args))
                {
                    // Closed before the request's body, whose lines would otherwise run as commands.
                    Logger.LogWarning("resp: an HTTP request arrived on the Redis port (a web page sending commands in its body?): connection closed");
                    input.AdvanceTo(buffer.Start);
                    return;
                }

                var command = RespCommands.Find(args);
                RespReply? immediate = command is null ? RespCommands.Unknown(args)
                    : !command.Accepts(args.Length) ? RespReply.Arity(command.Name)
                    : !session.Authenticated && !ServerCommands.AllowedBeforeAuth.Contains(command.Name) ? RespReply.Error("NOAUTH Authentication required.")
                    : session.Protocol == 2 && session.OpenSubscriber is { Subscriptions: > 0 } && !PubSubCommands.AllowedWhileSubscribed.Contains(command.Name)
                        ? RespReply.Error($"ERR Can't execute '{command.Name.ToLowerInvariant()}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context")
                    : null;
                if (TransactionCommands.Queue(session, command, args, immediate) is { } queued)
                {
                    pending.Enqueue(new ValueTask<RespReply>(queued));
                    continue;
                }

                if (immediate is { } reply)
                {
                    pending.Enqueue(new ValueTask<RespReply>(reply));
                    continue;
                }

                if (command!.Blind?.Invoke(session, args) is { } write)
                {
                    if (combiner.Count == 0 && pending.Count > 0)
                    {
                        // A command before it may still commit (a read-modify-write that retries):
                        // it goes first, so the writes land in the order they were sent.
                        await DrainAsync(pending, writer, session).ConfigureAwait(false);
                    }

#pragma warning disable CA2012 // Each queued ValueTask is awaited exactly once, in order, by DrainAsync.
                    pending.Enqueue(combiner.Add(write));
#pragma warning restore CA2012
                    continue;
                }

                if (combiner.Count > 0)
                {
                    // Reads see the connection's own writes: commit and answer those first.
                    combiner.Flush(closing);
                    await DrainAsync(pending, writer, session).ConfigureAwait(false);
                }

                // Protocol and database switches apply to the commands after them: run those in order too.
                if (command.Name is "HELLO" or "SELECT" or "AUTH")
                {
                    await DrainAsync(pending, writer, session).ConfigureAwait(false);
                }

#pragma warning disable CA2012 // Each queued ValueTask is awaited exactly once, in order, by DrainAsync.
                pending.Enqueue(RespCommands.RunAsync(command, session, args, Logger, closing));
#pragma warning restore CA2012
                if (command.Name == "HELLO")
                {
                    await DrainAsync(pending, writer, session).ConfigureAwait(false);   // its reply is in the protocol it chose
                }

                quit = command.Name == "QUIT";
            }

            // Unparsed bytes stay; when parsing stopped for a full queue they may hold whole
            // commands, so they are not marked examined (the next read returns at once).
            if (full)
            {
                input.AdvanceTo(buffer.Start);
            }
            else
            {
                input.AdvanceTo(buffer.Start, buffer.End);
            }

            combiner.Flush(closing);
            await DrainAsync(pending, writer, session).ConfigureAwait(false);
            if (!WriteMessages(session, writer))
            {
                await output.FlushAsync(closing).ConfigureAwait(false);
                return;   // a subscriber that fell too far behind is closed, as Redis does
            }

            await output.FlushAsync(closing).ConfigureAwait(false);
            if (quit || read.IsCompleted)
            {
                return;   // a canceled read is a published message waking the connection: it goes on
            }
        }
    }

    /// <summary>Writes the pub/sub messages waiting for this connection; false when it fell too far behind and must close.</summary>
    private static bool WriteMessages(RespSession session, RespWriter writer)
    {
        if (session.OpenSubscriber is not { } subscriber)
        {
            return true;
        }

        writer.Protocol = session.Protocol;
        while (subscriber.TryTake(out var message))
        {
            message.WriteTo(writer);
        }

        return !subscriber.Overflowed;
    }

    /// <summary>Writes every pending reply, in order, as each completes.</summary>
    private static async ValueTask DrainAsync(Queue<ValueTask<RespReply>> pending, RespWriter writer, RespSession session)
    {
        while (pending.TryDequeue(out var next))
        {
            var reply = await next.ConfigureAwait(false);
            writer.Protocol = session.Protocol;
            reply.WriteTo(writer);
        }
    }
}
