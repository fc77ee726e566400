namespace Quire.OpLog;

/// <summary>
/// Wakes change-feed readers when ops are committed. Free when no one waits: a commit only
/// completes a task a reader armed. A reader arms first, then checks for news, then awaits,
/// so a commit that lands between the two is never missed (commits notify after they are
/// published).
/// </summary>
internal sealed class ChangeSignal
{
    private readonly object _gate = new();
    private TaskCompletionSource? _armed;

    /// <summary>Called after a commit is published.</summary>
    public void Notify()
    {
        // The commit's publish (a store) must be visible before _armed is read, as a reader
        // arms (a store) before it reads the seq: a full fence on each side, or both may miss.
        Interlocked.MemoryBarrier();
        if (Volatile.Read(ref _armed) is null)
        {
            return;
        }

        TaskCompletionSource? armed;
        lock (_gate)
        {
            (armed, _armed) = (_armed, null);
        }

        armed?.TrySetResult();
    }

    /// <summary>Completes when <paramref name="changed"/> holds, after a commit, or after <paramref name="timeout"/> at the latest.</summary>
    public async Task WaitAsync(Func<bool> changed, TimeSpan timeout, CancellationToken cancellationToken)
    {
        Task next;
        lock (_gate)
        {
            next = (_armed ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
        }

        Interlocked.MemoryBarrier();   // armed before the seq is read (see Notify)

        if (changed())
        {
            return;
        }

        try
        {
            await next.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // A commit that did not notify (none should) is found by the caller's next read.
        }
    }
}
