using System.Collections.Concurrent;

namespace Quire.Server.Resp;

/// <summary>
/// One connection's side of pub/sub: the channels and patterns it listens to, and the
/// messages published to them that its connection has not written yet. Delivering wakes the
/// connection (which may be waiting for input); a connection that lets more than
/// <see cref="MaxPending"/> messages pile up is closed, as Redis closes a pub/sub client past
/// its output buffer limit, so a slow reader cannot make the server buffer without bound.
/// </summary>
internal sealed class RespSubscriber(Action wake, Action abort)
{
    /// <summary>Messages a connection may have waiting before it is closed.</summary>
    public const int MaxPending = 10_000;

    private readonly ConcurrentQueue<RespReply> _pending = new();
    private int _count;

    public HashSet<string> Channels { get; } = new(StringComparer.Ordinal);

    public HashSet<string> Patterns { get; } = new(StringComparer.Ordinal);

    /// <summary>How many channels and patterns it listens to.</summary>
    public int Subscriptions => Channels.Count + Patterns.Count;

    /// <summary>Whether messages were dropped because the connection did not keep up (it is then closed).</summary>
    public bool Overflowed { get; private set; }

    public void Deliver(RespReply message)
    {
        if (Interlocked.Increment(ref _count) > MaxPending)
        {
            if (!Overflowed)
            {
                Overflowed = true;
                abort();   // the connection may be stuck writing to a client that reads nothing
            }

            return;
        }
        _pending.Enqueue(message);
        wake();
    }

    /// <summary>Takes the next message waiting to be written.</summary>
    public bool TryTake(out RespReply message)
    {
        if (_pending.TryDequeue(out message))
        {
            Interlocked.Decrement(ref _count);
            return true;
        }

        return false;
    }
}
