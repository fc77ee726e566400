namespace Quire.Server.Service;

/// <summary>
/// What stops a query: its time limit (<see cref="ServiceOptions.QueryTimeout"/>) or its client
/// going away. <see cref="Stopped"/> tells a transport which one it was, so it can answer a
/// timeout and stay quiet for a client that is gone.
/// </summary>
internal sealed class QueryLimit : IDisposable
{
    private readonly CancellationTokenSource _source;
    private readonly CancellationToken _clientGone;

    public QueryLimit(TimeSpan timeout, CancellationToken clientGone)
    {
        _clientGone = clientGone;
        _source = CancellationTokenSource.CreateLinkedTokenSource(clientGone);
        if (timeout > TimeSpan.Zero)
        {
            _source.CancelAfter(timeout);
        }

        Timeout = timeout;
    }

    /// <summary>The time limit (zero: none).</summary>
    public TimeSpan Timeout { get; }

    /// <summary>Cancelled when the time is up or the client has gone.</summary>
    public CancellationToken Token => _source.Token;

    /// <summary>The error for a stopped query: a timeout, or null when its client went away (nothing to answer).</summary>
    public ServiceException? Stopped() => _clientGone.IsCancellationRequested
        ? null
        : new ServiceException(ServiceErrorKind.TimedOut,
            $"the query ran longer than the server's query time limit ({(long)Timeout.TotalMilliseconds} ms, --query-timeout-ms): narrow it with WHERE on an indexed field, or LIMIT");

    public void Dispose() => _source.Dispose();
}
