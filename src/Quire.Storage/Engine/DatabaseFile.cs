using Quire.Storage.Format;
using Quire.Storage.IO;

namespace Quire.Storage.Engine;

/// <summary>
/// <c>quire.db</c>: the database file. It exists only once the database is fully
/// created, and its header names the database (UUID, epoch, page size). The tree's
/// pages and superblocks will follow the header.
/// </summary>
internal static class DatabaseFile
{
    public const string Name = "quire.db";

    public static DatabaseIdentity Read(IFileSystem fs, string directory)
    {
        var path = Path.Combine(directory, Name);
        using var file = fs.Open(path, create: false);
        var buffer = new byte[FileHeader.Size];
        var read = file.ReadFully(0, buffer);
        var header = FileHeader.TryRead(buffer.AsSpan(0, read), FileKind.Database, path)
            ?? throw new CorruptDataException("the database header is damaged", path, 0);
        return new DatabaseIdentity(header.DatabaseId, header.Epoch, header.PageSize);
    }

    /// <summary>Writes the file through a temporary name and a rename, so it appears whole or not at all.</summary>
    public static void Create(IFileSystem fs, string directory, DatabaseIdentity identity)
    {
        var path = Path.Combine(directory, Name);
        var temporary = path + ".tmp";
        if (fs.FileExists(temporary))
        {
            fs.Delete(temporary);
        }

        using (var file = fs.Open(temporary, create: true))
        {
            var buffer = new byte[FileHeader.Size];
            new FileHeader(FileKind.Database, FileHeader.CurrentFormatVersion, identity.PageSize, identity.DatabaseId, identity.Epoch, 0)
                .Write(buffer);
            file.Write(0, buffer);
            file.SyncData();
        }

        fs.Rename(temporary, path);
        fs.SyncDirectory(directory);
    }
}
