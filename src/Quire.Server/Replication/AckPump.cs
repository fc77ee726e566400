namespace Quire.Server.Replication;

/// <summary>
/// Sends a replica's acks as records are applied, one at a time: a signal while an ack is on
/// its way makes one more after it (with the seq as it then stands), so acks are batched like
/// group commits: as many as the round trips allow, never one per record.
/// </summary>
internal sealed class AckPump(Func<Task> send)
{
    private const int Idle = 0;
    private const int Sending = 1;
    private const int SendingAndPending = 2;
    private int _state;

    public void Signal()
    {
        while (true)
        {
            var state = Volatile.Read(ref _state);
            if (state == SendingAndPending)
            {
                return;
            }

            if (Interlocked.CompareExchange(ref _state, state == Idle ? Sending : SendingAndPending, state) == state)
            {
                if (state == Idle)
                {
                    _ = RunAsync();
                }

                return;
            }
        }
    }

    private async Task RunAsync()
    {
        while (true)
        {
            await send().ConfigureAwait(false);
            if (Interlocked.CompareExchange(ref _state, Idle, Sending) == Sending)
            {
                return;
            }

            Volatile.Write(ref _state, Sending);   // signalled meanwhile: once more
        }
    }
}
