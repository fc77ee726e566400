namespace Quire.Storage.Engine;

/// <summary>
/// A write or fsync failed, so the engine turned read-only: Linux may already have
/// dropped the unsynced pages, so retrying and claiming durability would be a lie.
/// Every pending and later commit fails with this; reads keep working.
/// </summary>
public sealed class StorageFailedException : IOException
{
    /// <summary>Creates the exception around the I/O error that caused it.</summary>
    public StorageFailedException(Exception cause)
        : base($"the database is read-only after a failed write or fsync: {cause.Message}", cause)
    {
    }
}
