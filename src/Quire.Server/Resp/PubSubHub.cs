using System.Collections.Concurrent;

namespace Quire.Server.Resp;

/// <summary>
/// Redis pub/sub for one server: who listens to which channel or pattern. PUBLISH hands the
/// message to each listener's <see cref="RespSubscriber"/>, which its connection writes out.
/// Channels are byte strings (kept as Latin-1 text, one char per byte); as in Redis they are
/// not databases' and nothing is stored.
/// </summary>
internal sealed class PubSubHub
{
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<RespSubscriber, byte>> _channels = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<RespSubscriber, byte>> _patterns = new(StringComparer.Ordinal);

    public static string Name(byte[] bytes) => System.Text.Encoding.Latin1.GetString(bytes);

    public static byte[] Bytes(string name) => System.Text.Encoding.Latin1.GetBytes(name);

    /// <summary>Adds a listener to a channel (<paramref name="pattern"/>: a glob pattern); false when it was listening already.</summary>
    public bool Add(RespSubscriber subscriber, string name, bool pattern) =>
        (pattern ? _patterns : _channels).GetOrAdd(name, _ => new()).TryAdd(subscriber, 0);

    /// <summary>Removes a listener from a channel or pattern.</summary>
    public void Remove(RespSubscriber subscriber, string name, bool pattern)
    {
        var table = pattern ? _patterns : _channels;
        if (table.TryGetValue(name, out var listeners) && listeners.TryRemove(subscriber, out _) && listeners.IsEmpty)
        {
            table.TryRemove(KeyValuePair.Create(name, listeners));
        }
    }

    /// <summary>Delivers a message; how many listeners it reached (a listener of the channel and of a matching pattern counts twice, as in Redis).</summary>
    public long Publish(byte[] channel, byte[] message)
    {
        long reached = 0;
        var name = Name(channel);
        if (_channels.TryGetValue(name, out var listeners))
        {
            var push = RespReply.Push([RespReply.Bulk("message"), RespReply.Bulk(channel), RespReply.Bulk(message)]);
            foreach (var subscriber in listeners.Keys)
            {
                subscriber.Deliver(push);
                reached++;
            }
        }

        foreach (var (pattern, patternListeners) in _patterns)
        {
            var patternBytes = Bytes(pattern);
            if (!RedisGlob.Matches(patternBytes, channel))
            {
                continue;
            }

            var push = RespReply.Push([RespReply.Bulk("pmessage"), RespReply.Bulk(patternBytes), RespReply.Bulk(channel), RespReply.Bulk(message)]);
            foreach (var subscriber in patternListeners.Keys)
            {
                subscriber.Deliver(push);
                reached++;
            }
        }

        return reached;
    }

    /// <summary>The channels with a listener, matching <paramref name="pattern"/> when given (PUBSUB CHANNELS).</summary>
    public IEnumerable<byte[]> Channels(byte[]? pattern) =>
        _channels.Where(c => !c.Value.IsEmpty).Select(c => c.Key).Order(StringComparer.Ordinal).Select(Bytes).Where(c => pattern is null || RedisGlob.Matches(pattern, c));

    /// <summary>How many listen to <paramref name="channel"/> itself (PUBSUB NUMSUB).</summary>
    public long Listeners(byte[] channel) => _channels.TryGetValue(Name(channel), out var listeners) ? listeners.Count : 0;

    /// <summary>How many patterns have a listener (PUBSUB NUMPAT).</summary>
    public long PatternCount => _patterns.Count(p => !p.Value.IsEmpty);
}
