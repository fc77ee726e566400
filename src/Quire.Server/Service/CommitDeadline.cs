namespace Quire.Server.Service;

/// <summary>
/// How long a write may wait for room in a full commit queue: a token that cancels after
/// the server's queue wait, or when the client goes. A write cancelled by the wait (not by
/// the client) becomes <see cref="ServiceErrorKind.Busy"/>: the transport says "retry later"
/// (HTTP 429 with Retry-After, RESP <c>-BUSY</c>). Once queued, a commit is not cancelled.
/// </summary>
internal static class CommitDeadline
{
    /// <summary>Runs <paramref name="write"/> with the deadline's token.</summary>
    /// <exception cref="ServiceException"><see cref="ServiceErrorKind.Busy"/> when the wait ran out.</exception>
    public static async Task<T> RunAsync<T>(TimeSpan queueWait, Func<CancellationToken, Task<T>> write, CancellationToken clientGone)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(clientGone);
        deadline.CancelAfter(queueWait);
        try
        {
            return await write(deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (!clientGone.IsCancellationRequested && deadline.IsCancellationRequested)
        {
            throw new ServiceException(ServiceErrorKind.Busy, "the commit queue is full: retry later", ex);
        }
    }
}
