namespace Quire.Server.Resp;

/// <summary>
/// PUBLISH, SUBSCRIBE, PSUBSCRIBE, UNSUBSCRIBE, PUNSUBSCRIBE, PUBSUB (CHANNELS, NUMSUB,
/// NUMPAT), over the server's <see cref="PubSubHub"/>. Each (un)subscription is confirmed by
/// its own reply, as in Redis; messages arrive as pushes (arrays in RESP2). In RESP2 a
/// connection listening to anything runs only these, PING, QUIT and RESET.
/// </summary>
internal static class PubSubCommands
{
    /// <summary>What a RESP2 connection with subscriptions may still run.</summary>
    public static readonly HashSet<string> AllowedWhileSubscribed = new(StringComparer.Ordinal)
    {
        "SUBSCRIBE", "PSUBSCRIBE", "UNSUBSCRIBE", "PUNSUBSCRIBE", "PING", "QUIT", "RESET",
    };

    public static IEnumerable<RespCommand> All() =>
    [
        new("PUBLISH", 3, (s, a, c) => ValueTask.FromResult(RespReply.Number(s.PubSub.Publish(a[1], a[2])))),
        new("SUBSCRIBE", -2, (s, a, c) => ValueTask.FromResult(Subscribe(s, a, pattern: false))),
        new("PSUBSCRIBE", -2, (s, a, c) => ValueTask.FromResult(Subscribe(s, a, pattern: true))),
        new("UNSUBSCRIBE", -1, (s, a, c) => ValueTask.FromResult(Unsubscribe(s, a, pattern: false))),
        new("PUNSUBSCRIBE", -1, (s, a, c) => ValueTask.FromResult(Unsubscribe(s, a, pattern: true))),
        new("PUBSUB", -2, (s, a, c) => ValueTask.FromResult(PubSub(s, a))),
    ];

    private static RespReply Subscribe(RespSession session, byte[][] args, bool pattern)
    {
        var subscriber = session.Subscriber;
        var replies = new List<RespReply>();
        foreach (var channel in args.Skip(1))
        {
            var name = PubSubHub.Name(channel);
            if ((pattern ? subscriber.Patterns : subscriber.Channels).Add(name))
            {
                session.PubSub.Add(subscriber, name, pattern);
            }

            replies.Add(Confirm(pattern ? "psubscribe" : "subscribe", channel, subscriber.Subscriptions));
        }

        return RespReply.Sequence([.. replies]);
    }

    private static RespReply Unsubscribe(RespSession session, byte[][] args, bool pattern)
    {
        var subscriber = session.Subscriber;
        var set = pattern ? subscriber.Patterns : subscriber.Channels;
        var names = args.Length > 1 ? args.Skip(1).Select(PubSubHub.Name).ToList() : [.. set];
        var kind = pattern ? "punsubscribe" : "unsubscribe";
        if (names.Count == 0)
        {
            return Confirm(kind, null, subscriber.Subscriptions);   // listening to nothing: one reply with a nil channel
        }

        var replies = new List<RespReply>();
        foreach (var name in names)
        {
            if (set.Remove(name))
            {
                session.PubSub.Remove(subscriber, name, pattern);
            }

            replies.Add(Confirm(kind, PubSubHub.Bytes(name), subscriber.Subscriptions));
        }

        return RespReply.Sequence([.. replies]);
    }

    /// <summary>Leaves every channel and pattern (the connection closed, or RESET).</summary>
    public static void LeaveAll(RespSession session)
    {
        if (session.OpenSubscriber is not { } subscriber)
        {
            return;
        }

        foreach (var name in subscriber.Channels)
        {
            session.PubSub.Remove(subscriber, name, pattern: false);
        }

        foreach (var name in subscriber.Patterns)
        {
            session.PubSub.Remove(subscriber, name, pattern: true);
        }

        subscriber.Channels.Clear();
        subscriber.Patterns.Clear();
    }

    private static RespReply Confirm(string kind, byte[]? channel, int count) =>
        RespReply.Push([RespReply.Bulk(kind), RespReply.Bulk(channel), RespReply.Number(count)]);

    private static RespReply PubSub(RespSession session, byte[][] args)
    {
        if (RespArgs.Is(args[1], "CHANNELS") && args.Length <= 3)
        {
            return RespReply.Array([.. session.PubSub.Channels(args.Length == 3 ? args[2] : null).Select(RespReply.Bulk)]);
        }

        if (RespArgs.Is(args[1], "NUMSUB"))
        {
            return RespReply.Array([.. args.Skip(2).SelectMany(c => new[] { RespReply.Bulk(c), RespReply.Number(session.PubSub.Listeners(c)) })]);
        }

        if (RespArgs.Is(args[1], "NUMPAT") && args.Length == 2)
        {
            return RespReply.Number(session.PubSub.PatternCount);
        }

        return RespReply.Error($"ERR unknown subcommand '{RespArgs.Text(args[1])}'. Try PUBSUB HELP.");
    }
}
