namespace Quire.Storage.Format;

/// <summary>What every file of one database shares: its UUID, epoch and page size.</summary>
/// <param name="DatabaseId">Chosen at creation; never changes.</param>
/// <param name="Epoch">Changes when the database is restored or recreated, so stale frames never pass their CRC.</param>
/// <param name="PageSize">Fixed at creation.</param>
public sealed record DatabaseIdentity(Guid DatabaseId, ulong Epoch, int PageSize);
