using Quire.Databases;

namespace Quire.Server.Service;

/// <summary>What a write waits for after it is durable here before it is acknowledged (synchronous replicas), if anything.</summary>
internal interface IWriteConfirmation
{
    /// <summary>Completes once <paramref name="seq"/> of <paramref name="db"/> is confirmed.</summary>
    /// <exception cref="ServiceException"><see cref="ServiceErrorKind.Unavailable"/>: not confirmed in time.</exception>
    Task ConfirmAsync(Database db, long seq, CancellationToken cancellationToken);
}
