namespace Quire.Databases;

/// <summary>
/// Runs a database's background jobs (the expiry reaper, the op-log pruner) on a timer
/// until disposed. A job that fails changes nothing (the engine turned read-only, say)
/// and runs again on the next tick.
/// </summary>
internal sealed class MaintenanceLoop : IDisposable
{
    private readonly TimeProvider _clock;
    private readonly TimeSpan _interval;
    private readonly Func<CancellationToken, Task>[] _jobs;
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;

    public MaintenanceLoop(TimeProvider clock, TimeSpan interval, params Func<CancellationToken, Task>[] jobs)
    {
        _clock = clock;
        _interval = interval;
        _jobs = jobs;
    }

    public void Start() => _loop = Task.Run(RunAsync);

    public void Dispose()
    {
        _stop.Cancel();
        try
        {
            _loop?.Wait();
        }
        catch (AggregateException)
        {
            // Stopped by cancellation.
        }

        _stop.Dispose();
    }

    private async Task RunAsync()
    {
        using var timer = new PeriodicTimer(_interval, _clock);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
            {
                foreach (var job in _jobs)
                {
                    try
                    {
                        await job(_stop.Token).ConfigureAwait(false);
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException)
                    {
                        // Nothing changed; the next tick tries again.
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Disposed.
        }
    }
}
