using Quire.Documents;
using Quire.Storage.Crypto;
using Quire.Storage.Engine;

namespace Quire.Databases;

/// <summary>
/// Converts a plaintext database into an encrypted one, offline (no server may hold it):
/// the storage is copied entry by entry into a new encrypted database beside it (the same
/// documents, versions, past versions, seqs and chain head; see
/// <see cref="StorageEngine.CopyTo(string, StorageOptions)"/>), the documents layer's files
/// are copied along, and the new directory takes the old one's place. Until the swap the
/// database is untouched; a crash mid-copy leaves a hidden <c>.name.creating-*</c> directory
/// that the next catalog open removes, and a crash between the two renames of the swap
/// leaves the plaintext database as <c>.name.plaintext-*</c> (rename it back).
/// </summary>
public static class DatabaseEncryption
{
    /// <summary>The databases of <paramref name="root"/> that are not encrypted, in order.</summary>
    public static IReadOnlyList<string> PlaintextDatabases(string root) =>
        [.. Directory.GetDirectories(Path.GetFullPath(root)).Select(Path.GetFileName).OfType<string>()
            .Where(name => Names.IsDatabaseName(name) && File.Exists(Path.Combine(root, name, FormatRecord.FileName)) && !DatabaseKeys.IsEncrypted(Path.Combine(root, name)))
            .Order(StringComparer.Ordinal)];

    /// <summary>Encrypts database <paramref name="name"/> of <paramref name="root"/> under <paramref name="masterKey"/>; returns its last seq.</summary>
    /// <exception cref="DatabaseNotFoundException">There is no such database.</exception>
    /// <exception cref="InvalidOperationException">It is encrypted already.</exception>
    /// <exception cref="Storage.IO.DatabaseLockedException">A server or another process holds it.</exception>
    public static long Encrypt(string root, string name, MasterKey masterKey)
    {
        ArgumentNullException.ThrowIfNull(masterKey);
        Names.CheckDatabase(name);
        root = Path.GetFullPath(root);
        var path = Path.Combine(root, name);
        if (!File.Exists(Path.Combine(path, FormatRecord.FileName)))
        {
            throw new DatabaseNotFoundException($"database not found: {name}");
        }

        if (DatabaseKeys.IsEncrypted(path))
        {
            throw new InvalidOperationException($"database {name} is encrypted already");
        }

        var keepHistory = StorageEngine.KeepsHistory(path);
        var building = Path.Combine(root, $".{name}.creating-{Guid.NewGuid():N}");
        long seq;
        try
        {
            using (var source = StorageEngine.Open(path, new StorageOptions { KeepHistory = keepHistory }))
            {
                seq = source.CopyTo(building, new StorageOptions { KeepHistory = keepHistory, MasterKey = masterKey });
            }

            // The documents layer's own files (format.json): everything at the top that is not the engine's.
            foreach (var file in Directory.GetFiles(path))
            {
                var fileName = Path.GetFileName(file);
                if (fileName is not ("quire.db" or "LOCK") && !File.Exists(Path.Combine(building, fileName)))
                {
                    File.Copy(file, Path.Combine(building, fileName));
                }
            }
        }
        catch
        {
            if (Directory.Exists(building))
            {
                Directory.Delete(building, recursive: true);
            }

            throw;
        }

        var plaintext = Path.Combine(root, $".{name}.plaintext-{Guid.NewGuid():N}");
        Directory.Move(path, plaintext);
        Directory.Move(building, path);
        Storage.IO.OsFileSystem.Instance.SyncDirectory(root);
        Directory.Delete(plaintext, recursive: true);
        return seq;
    }
}
