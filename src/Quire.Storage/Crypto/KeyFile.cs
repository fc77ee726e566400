using System.Buffers.Binary;
using System.Security.Cryptography;
using Quire.Storage.Format;
using Quire.Storage.IO;

namespace Quire.Storage.Crypto;

/// <summary>
/// <c>quire.key</c>: an encrypted database's data key, sealed by the master key.
/// Layout (104 bytes): <c>[magic "QUIREKEY"][version u32][reserved u32][database UUID 16]</c>
/// <c>[master key fingerprint 8][nonce 12][sealed data key 32][tag 16]</c> then a CRC-32C of
/// everything before it. The database's UUID is the associated data, so a key file copied
/// into another database does not open it. Replaced only whole: written to a temporary
/// name, synced, renamed.
/// </summary>
internal static class KeyFile
{
    public const string Name = "quire.key";
    public const int DataKeySize = 32;

    public const int Size = 104;
    private const int Version = 1;
    private static ReadOnlySpan<byte> Magic => "QUIREKEY"u8;

    /// <summary>Seals <paramref name="dataKey"/> under <paramref name="master"/> and writes the file durably.</summary>
    public static void Write(IFileSystem fs, string directory, Guid databaseId, MasterKey master, ReadOnlySpan<byte> dataKey)
    {
        var bytes = new byte[Size];
        Magic.CopyTo(bytes);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(8), Version);
        databaseId.TryWriteBytes(bytes.AsSpan(16, 16));
        master.Fingerprint.CopyTo(bytes, 32);
        var nonce = bytes.AsSpan(40, 12);
        RandomNumberGenerator.Fill(nonce);
        using (var aes = new AesGcm(master.WrappingKey, 16))
        {
            aes.Encrypt(nonce, dataKey, bytes.AsSpan(52, DataKeySize), bytes.AsSpan(84, 16), bytes.AsSpan(16, 16));
        }

        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(Size - 4), Crc32C.Compute(bytes.AsSpan(0, Size - 4)));
        WriteRaw(fs, directory, bytes);
    }

    /// <summary>The file's bytes as they are (its data key stays sealed), for a copy of the database.</summary>
    public static byte[] ReadRaw(IFileSystem fs, string directory)
    {
        var bytes = new byte[Size];
        using var file = fs.Open(Path.Combine(directory, Name), create: false);
        return file.ReadFully(0, bytes) == Size ? bytes : throw new CorruptDataException($"the key file {Name} is damaged", Path.Combine(directory, Name), 0);
    }

    /// <summary>Writes a key file's bytes, read by <see cref="ReadRaw"/> elsewhere, durably; the file is checked when the database opens.</summary>
    public static void WriteRaw(IFileSystem fs, string directory, byte[] bytes)
    {
        if (bytes.Length != Size || !bytes.AsSpan(0, 8).SequenceEqual(Magic)
            || BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(Size - 4)) != Crc32C.Compute(bytes.AsSpan(0, Size - 4)))
        {
            throw new CorruptDataException($"the key file {Name} is damaged", Name, 0);
        }

        var path = Path.Combine(directory, Name);
        var temporary = path + ".tmp";
        using (var file = fs.Open(temporary, create: true))
        {
            file.Write(0, bytes);
            file.SyncData();
        }

        fs.Rename(temporary, path);
        fs.SyncDirectory(directory);
    }

    /// <summary>Whether the directory holds a key file.</summary>
    public static bool Exists(IFileSystem fs, string directory) => fs.FileExists(Path.Combine(directory, Name));

    /// <summary>
    /// Reads and opens the data key. Throws <see cref="EncryptionKeyException"/> for a
    /// missing master key or a wrong one, <see cref="CorruptDataException"/> for a damaged
    /// or missing file.
    /// </summary>
    public static byte[] Read(IFileSystem fs, string directory, Guid databaseId, MasterKey? master)
    {
        var path = Path.Combine(directory, Name);
        if (!fs.FileExists(path))
        {
            throw new CorruptDataException(
                $"the database is encrypted but its key file {Name} is missing (restore it from a backup of the directory)", path, 0);
        }

        var bytes = new byte[Size];
        int read;
        using (var file = fs.Open(path, create: false))
        {
            read = file.ReadFully(0, bytes);
        }

        if (read != Size || !bytes.AsSpan(0, 8).SequenceEqual(Magic)
            || BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(Size - 4)) != Crc32C.Compute(bytes.AsSpan(0, Size - 4)))
        {
            throw new CorruptDataException($"the key file {Name} is damaged", path, 0);
        }

        if (BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(8)) != Version)
        {
            throw new IncompatibleFormatException($"'{path}' has key file version {BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(8))}; this build reads version {Version}");
        }

        if (new Guid(bytes.AsSpan(16, 16)) != databaseId)
        {
            throw new CorruptDataException($"the key file {Name} belongs to database {new Guid(bytes.AsSpan(16, 16))}, not to this one ({databaseId})", path, 16);
        }

        var fingerprint = Convert.ToHexStringLower(bytes.AsSpan(32, 8));
        if (master is null)
        {
            throw new EncryptionKeyException(
                $"the database is encrypted (master key {fingerprint}): give its master key with NEDB_TMK, NEDB_TMK_FILE or --key-file");
        }

        if (fingerprint != master.FingerprintHex)
        {
            throw new EncryptionKeyException(
                $"the database is encrypted with another master key (fingerprint {fingerprint}; the key given has {master.FingerprintHex})");
        }

        var dataKey = new byte[DataKeySize];
        try
        {
            using var aes = new AesGcm(master.WrappingKey, 16);
            aes.Decrypt(bytes.AsSpan(40, 12), bytes.AsSpan(52, DataKeySize), bytes.AsSpan(84, 16), dataKey, bytes.AsSpan(16, 16));
        }
        catch (AuthenticationTagMismatchException)
        {
            throw new CorruptDataException($"the key file {Name} fails its authentication tag (damaged, or altered)", path, 52);
        }

        return dataKey;
    }
}
