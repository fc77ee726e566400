namespace Quire.Storage.IO;

/// <summary>
/// The file operations the engine needs, and nothing more. The engine never touches
/// <see cref="System.IO"/> directly, so tests can run it over a file system that
/// injects faults and simulates power loss.
/// </summary>
public interface IFileSystem
{
    /// <summary>Opens a file for reading and writing.</summary>
    /// <param name="path">The file's path.</param>
    /// <param name="create">True to create the file, failing if it exists; false to open an existing file.</param>
    IStorageFile Open(string path, bool create);

    /// <summary>True when a file exists at <paramref name="path"/>.</summary>
    bool FileExists(string path);

    /// <summary>True when a directory exists at <paramref name="path"/>.</summary>
    bool DirectoryExists(string path);

    /// <summary>Creates a directory (and its parents). The caller syncs the parent.</summary>
    void CreateDirectory(string path);

    /// <summary>The names (not paths) of the files directly inside <paramref name="directory"/>.</summary>
    IReadOnlyList<string> ListFiles(string directory);

    /// <summary>Deletes a file. The caller syncs the directory.</summary>
    void Delete(string path);

    /// <summary>Renames a file, replacing any file at <paramref name="to"/>. The caller syncs the directory.</summary>
    void Rename(string from, string to);

    /// <summary>Makes the directory's entries (creates, renames, deletes) durable.</summary>
    void SyncDirectory(string directory);

    /// <summary>
    /// Takes an exclusive lock on <paramref name="path"/> (created if missing) so one
    /// process at a time opens a database. Throws <see cref="DatabaseLockedException"/>
    /// when another holder has it; the lock ends when the result is disposed or the process dies.
    /// </summary>
    IDisposable Lock(string path);
}
