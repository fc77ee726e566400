namespace Quire.Storage.IO;

/// <summary>Another process (or another engine in this one) has the database open.</summary>
public sealed class DatabaseLockedException : IOException
{
    /// <summary>Creates the exception for the lock file at <paramref name="path"/>.</summary>
    public DatabaseLockedException(string path, Exception? inner = null)
        : base($"the database is already open elsewhere (lock '{path}' is held)", inner)
    {
        LockPath = path;
    }

    /// <summary>The lock file.</summary>
    public string LockPath { get; }
}
