namespace Quire.Storage.Engine;

/// <summary>
/// A snapshot was cancelled because it grew older than <see cref="StorageOptions.MaxSnapshotAge"/>
/// or kept more replaced pages in memory than <see cref="StorageOptions.MaxSnapshotPinnedBytes"/>
/// allows: a forgotten snapshot must not pin memory forever. Open a new one.
/// </summary>
public sealed class SnapshotExpiredException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">Why the snapshot was cancelled.</param>
    public SnapshotExpiredException(string message)
        : base(message)
    {
    }
}
