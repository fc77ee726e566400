using Microsoft.Extensions.Logging;
using Quire.Server.Service;

namespace Quire.Server.Resp;

/// <summary>
/// Every command Quire answers on its Redis port, by name, and how a failure becomes an
/// error reply: the service's error kinds map to Redis's codes (<c>BUSY</c> for a full commit
/// queue, <c>ERR</c> for bad input), and anything unexpected is logged and answered
/// <c>ERR internal error</c> without its details.
/// </summary>
internal static class RespCommands
{
    private static readonly Dictionary<string, RespCommand> Table = StringCommands.All()
        .Concat(CounterCommands.All())
        .Concat(KeyCommands.All())
        .Concat(HashCommands.All())
        .Concat(SetCommands.All())
        .Concat(ListCommands.All())
        .Concat(TransactionCommands.All())
        .Concat(PubSubCommands.All())
        .Concat(ServerCommands.All())
        .ToDictionary(c => c.Name, StringComparer.OrdinalIgnoreCase);

    /// <summary>How many commands there are (COMMAND COUNT).</summary>
    public static int Count => Table.Count;

    /// <summary>The command <paramref name="args"/> names, or null when Quire does not know it.</summary>
    public static RespCommand? Find(byte[][] args) =>
        Table.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(System.Text.Encoding.ASCII.GetString(args[0]), out var command) ? command : null;

    /// <summary>
    /// Whether <paramref name="args"/> is the start of an HTTP request (<c>POST</c>, or a
    /// <c>Host:</c> header) rather than a command: a web page posting to this port to have
    /// the lines of its body run as inline commands. Redis closes such a connection too.
    /// </summary>
    public static bool IsHttp(byte[][] args) =>
        System.Text.Ascii.EqualsIgnoreCase(args[0], "post"u8) || System.Text.Ascii.EqualsIgnoreCase(args[0], "host:"u8);

    /// <summary>Runs a command and turns whatever it throws into its error reply.</summary>
    public static async ValueTask<RespReply> RunAsync(RespCommand command, RespSession session, byte[][] args, ILogger logger, CancellationToken cancellationToken)
    {
        try
        {
            return await command.Handler(session, args, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            return ErrorOf(ex, command.Name, logger);
        }
    }

    /// <summary>The error reply for what a command threw; anything unexpected is logged and answered without its details.</summary>
    public static RespReply ErrorOf(Exception ex, string command, ILogger logger)
    {
        if (ex is RespException)
        {
            return RespReply.Error(ex.Message);
        }

        if (ServiceErrors.Classify(ex) is { } error)
        {
            return RespReply.Error(error.Kind switch
            {
                ServiceErrorKind.Busy => $"BUSY {error.Message}",
                ServiceErrorKind.ReadOnly => $"READONLY {error.Message}",
                ServiceErrorKind.Unavailable => $"NOREPLICAS {error.Message}",
                ServiceErrorKind.Unauthorized => "NOAUTH Authentication required.",
                _ => $"ERR {error.Message}",
            });
        }

        logger.LogError(ex, "RESP command {Command} failed", command);
        return RespReply.Error("ERR internal error");
    }

    /// <summary>The reply to a command Quire does not know, as Redis words it.</summary>
    public static RespReply Unknown(byte[][] args)
    {
        var name = RespArgs.Text(args[0]);
        var start = string.Join(' ', args.Skip(1).Take(3).Select(a => $"'{RespArgs.Text(a)}'"));
        return RespReply.Error($"ERR unknown command '{name}', with args beginning with: {start}");
    }
}
