using Quire.Storage.Engine;
using Quire.Storage.Format;
using Quire.Storage.IO;

namespace Quire.Storage.Crypto;

/// <summary>What can be done with an encrypted database's keys without opening it.</summary>
public static class DatabaseKeys
{
    /// <summary>Whether the database in <paramref name="directory"/> is encrypted (false when there is none yet).</summary>
    public static bool IsEncrypted(string directory, IFileSystem? fs = null)
    {
        fs ??= OsFileSystem.Instance;
        return fs.FileExists(Path.Combine(directory, DataFile.Name)) && ReadHeader(fs, directory).Encrypted;
    }

    /// <summary>
    /// Rotates the master key: seals the database's data key under <paramref name="next"/>
    /// instead of <paramref name="current"/>, replacing <c>quire.key</c> whole (the data is
    /// not rewritten). Safe while the database is open: the engine reads the key file only
    /// when it opens and when it copies the database. Throws
    /// <see cref="EncryptionKeyException"/> when <paramref name="current"/> does not open it,
    /// <see cref="InvalidOperationException"/> for a plaintext database.
    /// </summary>
    public static void Rewrap(string directory, MasterKey current, MasterKey next, IFileSystem? fs = null)
    {
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(next);
        fs ??= OsFileSystem.Instance;
        directory = Path.GetFullPath(directory);
        if (!fs.FileExists(Path.Combine(directory, DataFile.Name)))
        {
            throw new DirectoryNotFoundException($"no database in '{directory}'");
        }

        var header = ReadHeader(fs, directory);
        if (!header.Encrypted)
        {
            throw new InvalidOperationException($"the database in '{directory}' is not encrypted: there is no key to rewrap");
        }

        var dataKey = KeyFile.Read(fs, directory, header.DatabaseId, current);
        try
        {
            KeyFile.Write(fs, directory, header.DatabaseId, next, dataKey);
        }
        finally
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(dataKey);
        }
    }

    private static FileHeader ReadHeader(IFileSystem fs, string directory)
    {
        var path = Path.Combine(directory, DataFile.Name);
        var bytes = new byte[FileHeader.Size];
        using var file = fs.Open(path, create: false);
        var read = file.ReadFully(0, bytes);
        return FileHeader.TryRead(bytes.AsSpan(0, read), FileKind.Database, path) ?? throw new CorruptDataException("the database header is damaged", path, 0);
    }
}
