namespace Quire.Storage.IO;

/// <summary>The real file system: <see cref="RandomAccess"/> for data, fdatasync for durability.</summary>
public sealed class OsFileSystem : IFileSystem
{
    /// <summary>The one instance; it holds no state.</summary>
    public static OsFileSystem Instance { get; } = new();

    private OsFileSystem()
    {
    }

    /// <inheritdoc />
    public IStorageFile Open(string path, bool create) =>
        new OsStorageFile(path, create ? FileMode.CreateNew : FileMode.Open);

    /// <inheritdoc />
    public bool FileExists(string path) => File.Exists(path);

    /// <inheritdoc />
    public bool DirectoryExists(string path) => Directory.Exists(path);

    /// <inheritdoc />
    public void CreateDirectory(string path) => Directory.CreateDirectory(path);

    /// <inheritdoc />
    public IReadOnlyList<string> ListFiles(string directory) =>
        Directory.GetFiles(directory).Select(Path.GetFileName).OfType<string>().ToArray();

    /// <inheritdoc />
    public void Delete(string path) => File.Delete(path);

    /// <inheritdoc />
    public void Rename(string from, string to) => File.Move(from, to, overwrite: true);

    /// <inheritdoc />
    public void SyncDirectory(string directory) => NativeMethods.SyncDirectory(directory);

    /// <inheritdoc />
    public IDisposable Lock(string path)
    {
        try
        {
            // FileShare.None takes an exclusive advisory lock (flock) on Unix; the kernel drops it if the process dies.
            return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException ex) when (ex is not FileNotFoundException and not DirectoryNotFoundException)
        {
            throw new DatabaseLockedException(path, ex);
        }
    }
}
