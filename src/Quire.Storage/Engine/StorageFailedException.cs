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
        DiskFull = IsDiskFull(cause);
    }

    /// <summary>The failure was a full disk (or a quota reached): freeing space and restarting lets it write again.</summary>
    public bool DiskFull { get; }

    /// <summary>ENOSPC or EDQUOT anywhere in the chain (.NET gives an errno as the HResult on Unix), or Windows' disk-full codes.</summary>
    private static bool IsDiskFull(Exception? cause)
    {
        for (; cause is not null; cause = cause.InnerException)
        {
            if (cause is IOException { HResult: Enospc or Edquot or unchecked((int)0x80070070) or unchecked((int)0x80070027) })
            {
                return true;
            }
        }

        return false;
    }

    private const int Enospc = 28;
    private const int Edquot = 122;
}
