using Quire.Databases;
using Quire.Server.Service;

namespace Quire.Server.Replication;

/// <summary>
/// <c>--sync-replicas N</c>: a write is acknowledged only once N replicas streaming its
/// database have it durable (their acks, which they send as soon as each record is applied,
/// so many writes share one). When fewer do within <c>--sync-timeout-ms</c>, the write fails
/// with 503: it is durable on this primary, but not confirmed; never silently asynchronous.
/// </summary>
internal sealed class SyncReplicas(ReplicaRegistry registry, int count, TimeSpan timeout) : IWriteConfirmation
{
    public int Count => count;

    public async Task ConfirmAsync(Database db, long seq, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        while (true)
        {
            var next = registry.NextAck;   // taken before the count, so an ack between them is not missed
            if (registry.HaveDurable(db.Name, seq) >= count)
            {
                return;
            }

            try
            {
                await next.WaitAsync(deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new ServiceException(ServiceErrorKind.Unavailable,
                    $"the write is durable on this primary (seq {seq}) but {count} synchronous replica(s) did not confirm it within {timeout.TotalMilliseconds:F0} ms ({registry.HaveDurable(db.Name, -1)} streaming)");
            }
        }
    }
}
