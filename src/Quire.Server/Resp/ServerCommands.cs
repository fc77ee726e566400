using System.Globalization;
using System.Text;
using Quire.Server.Service;

namespace Quire.Server.Resp;

/// <summary>
/// Connection and server commands: PING, ECHO, QUIT, HELLO, AUTH, SELECT, CLIENT (ID,
/// SETNAME, GETNAME, SETINFO), COMMAND, INFO, CONFIG GET, TIME, and nedbd's <c>EVAL "&lt;NQL&gt;" 0</c>.
/// </summary>
internal static class ServerCommands
{
    /// <summary>The commands a connection may run before it authenticates.</summary>
    public static readonly HashSet<string> AllowedBeforeAuth = new(StringComparer.Ordinal) { "AUTH", "HELLO", "PING", "QUIT" };

    public static IEnumerable<RespCommand> All() =>
    [
        new("PING", -1, (s, a, c) => Done(a.Length switch { 1 => RespReply.Simple("PONG"), 2 => RespReply.Bulk(a[1]), _ => RespReply.Arity("ping") })),
        new("ECHO", 2, (s, a, c) => Done(RespReply.Bulk(a[1]))),
        new("QUIT", -1, (s, a, c) => Done(RespReply.Ok)),
        new("HELLO", -1, Hello),
        new("AUTH", -2, (s, a, c) => Done(a.Length > 3 ? RespReply.Syntax : s.Authenticate(RespArgs.Text(a[^1])) ? RespReply.Ok : WrongPass)),
        new("SELECT", 2, (s, a, c) =>
        {
            s.Select(RespArgs.Text(a[1]));
            return Done(RespReply.Ok);
        }),
        new("CLIENT", -2, Client),
        new("COMMAND", -1, (s, a, c) => Done(a.Length > 1 && RespArgs.Is(a[1], "COUNT") ? RespReply.Number(RespCommands.Count) : RespReply.Array([]))),
        new("INFO", -1, Info),
        new("CONFIG", -2, Config),
        new("TIME", 1, (s, a, c) =>
        {
            var micros = s.Clock.GetUtcNow().ToUnixTimeMilliseconds() * 1000;
            return Done(RespReply.Array([RespReply.Bulk((micros / 1_000_000).ToString(CultureInfo.InvariantCulture)), RespReply.Bulk((micros % 1_000_000).ToString(CultureInfo.InvariantCulture))]));
        }),
        new("EVAL", -3, Eval),
    ];

    private static readonly RespReply WrongPass = RespReply.Error("WRONGPASS invalid username-password pair or user is disabled.");

    private static ValueTask<RespReply> Done(RespReply reply) => ValueTask.FromResult(reply);

    /// <summary>HELLO [protover [AUTH username password] [SETNAME name]]: switches the protocol and answers with the server's map.</summary>
    private static ValueTask<RespReply> Hello(RespSession session, byte[][] args, CancellationToken cancellationToken)
    {
        var protocol = session.Protocol;
        if (args.Length > 1)
        {
            if (!RespArgs.TryInteger(args[1], out var asked) || asked is < 2 or > 3)
            {
                return Done(RespReply.Error("NOPROTO unsupported protocol version"));
            }

            protocol = (int)asked;
        }

        for (var i = 2; i < args.Length; i++)
        {
            if (RespArgs.Is(args[i], "AUTH") && i + 2 < args.Length)
            {
                if (!session.Authenticate(RespArgs.Text(args[i + 2])))
                {
                    return Done(WrongPass);
                }

                i += 2;
            }
            else if (RespArgs.Is(args[i], "SETNAME") && i + 1 < args.Length)
            {
                session.ClientName = RespArgs.Text(args[++i]);
            }
            else
            {
                return Done(RespReply.Syntax);
            }
        }

        if (!session.Authenticated)
        {
            return Done(RespReply.Error("NOAUTH HELLO must be called with the client's credentials (the server has a token)."));
        }

        session.Protocol = protocol;
        return Done(RespReply.Map(
        [
            RespReply.Bulk("server"), RespReply.Bulk("redis"),
            RespReply.Bulk("version"), RespReply.Bulk(RespServerInfo.RedisVersion),
            RespReply.Bulk("proto"), RespReply.Number(protocol),
            RespReply.Bulk("id"), RespReply.Number(session.Id),
            RespReply.Bulk("mode"), RespReply.Bulk("standalone"),
            RespReply.Bulk("role"), RespReply.Bulk("master"),
            RespReply.Bulk("modules"), RespReply.Array([]),
        ]));
    }

    private static ValueTask<RespReply> Client(RespSession session, byte[][] args, CancellationToken cancellationToken)
    {
        var sub = RespArgs.Text(args[1]).ToUpperInvariant();
        return Done(sub switch
        {
            "ID" when args.Length == 2 => RespReply.Number(session.Id),
            "GETNAME" when args.Length == 2 => session.ClientName is { } name ? RespReply.Bulk(name) : RespReply.Null,
            "SETNAME" when args.Length == 3 => SetName(session, RespArgs.Text(args[2])),
            "SETINFO" when args.Length == 4 => RespReply.Ok,   // library name and version: accepted, not kept
            "ID" or "GETNAME" or "SETNAME" or "SETINFO" => RespReply.Arity($"client|{sub.ToLowerInvariant()}"),
            _ => RespReply.Error($"ERR unknown subcommand '{RespArgs.Text(args[1])}'. Try CLIENT HELP."),
        });
    }

    private static RespReply SetName(RespSession session, string name)
    {
        if (name.Any(c => c is <= ' ' or > '~'))
        {
            return RespReply.Error("ERR Client names cannot contain spaces, newlines or special characters.");
        }

        session.ClientName = name.Length == 0 ? null : name;
        return RespReply.Ok;
    }

    private static ValueTask<RespReply> Info(RespSession session, byte[][] args, CancellationToken cancellationToken) =>
        Done(RespReply.Bulk(RespServerInfo.Render(session, args.Length > 1 ? RespArgs.Text(args[1]) : null)));

    /// <summary>
    /// CONFIG GET pattern: the few parameters clients probe (databases, appendonly, ...) and
    /// notify-keyspace-events; CONFIG SET notify-keyspace-events; any other CONFIG SET is refused.
    /// </summary>
    private static ValueTask<RespReply> Config(RespSession session, byte[][] args, CancellationToken cancellationToken)
    {
        if (RespArgs.Is(args[1], "SET") && args.Length == 4 && RespArgs.Is(args[2], "notify-keyspace-events") && session.Notifier is { } notifier)
        {
            return Done(notifier.TrySet(RespArgs.Text(args[3]))
                ? RespReply.Ok
                : RespReply.Error("ERR CONFIG SET failed (possibly related to argument 'notify-keyspace-events') - Invalid event class character. Use 'Ag$lshzxeKEtmdn'."));
        }

        if (!RespArgs.Is(args[1], "GET"))
        {
            return Done(RespReply.Error($"ERR CONFIG {RespArgs.Text(args[1]).ToUpperInvariant()} {(args.Length > 2 ? RespArgs.Text(args[2]) + " " : "")}is not supported by Quire (its settings are quire serve's flags)"));
        }

        var items = new List<RespReply>();
        foreach (var (name, value) in RespServerInfo.Config.Append(("notify-keyspace-events", session.Notifier?.Flags ?? "")))
        {
            if (args.Skip(2).Any(pattern => RedisGlob.Matches(pattern, Encoding.UTF8.GetBytes(name))))
            {
                items.Add(RespReply.Bulk(name));
                items.Add(RespReply.Bulk(value));
            }
        }

        return Done(RespReply.Map([.. items]));
    }

    /// <summary>nedbd's EVAL: the script is an NQL query, the rows come back as JSON strings.</summary>
    private static async ValueTask<RespReply> Eval(RespSession session, byte[][] args, CancellationToken cancellationToken)
    {
        if (!RespArgs.TryInteger(args[2], out var keys) || keys < 0 || keys > args.Length - 3)
        {
            return RespReply.Error("ERR Number of keys can't be greater than number of args");
        }

        var db = await session.DatabaseAsync(cancellationToken).ConfigureAwait(false);
        using var limit = session.Service.LimitQuery(cancellationToken);
        var (rows, bytes, maxBytes) = (new List<RespReply>(), 0L, session.Service.Options.MaxResponseBytes);
        try
        {
            using var cursor = QuireService.OpenQuery(db, RespArgs.Text(args[1]), limit);
            foreach (var row in cursor.Rows)
            {
                if ((bytes += row.Length) > maxBytes)
                {
                    return RespReply.Error($"ERR the reply would be larger than the server's limit ({maxBytes} bytes, --max-response-bytes): ask for fewer rows with LIMIT");
                }

                rows.Add(RespReply.Bulk(row));
            }
        }
        catch (OperationCanceledException) when (limit.Token.IsCancellationRequested && limit.Stopped() is { } timedOut)
        {
            throw timedOut;
        }

        return RespReply.Array([.. rows]);
    }
}
