using System.Buffers.Binary;
using System.Text;
using Quire.Storage.Crypto;
using Quire.Storage.Engine;
using Quire.Storage.Format;
using Quire.Storage.Log;
using Quire.TestSupport;

namespace Quire.Fuzz.Targets;

/// <summary>
/// What the log and page targets share: a small database written to an in-memory file system
/// (a few commits, a checkpoint, more commits), one of its files overwritten with the input,
/// then opened (recovery) and read whole. An input is <c>[offset: 4, little-endian][bytes]</c>:
/// the bytes are written at the offset (modulo the file's length). A damaged file may refuse
/// the open or a read (<see cref="CorruptDataException"/>, <see cref="IncompatibleFormatException"/>,
/// and for an encrypted database <see cref="EncryptionKeyException"/>); nothing else may escape.
/// </summary>
internal static class StoredFiles
{
    private const string Directory = "/db";

    private static readonly MasterKey FuzzKey = MasterKey.FromHex(new string('5', 64));

    /// <summary>Overwrites the first file <paramref name="whichFile"/> accepts.</summary>
    public static void Run(byte[] input, Func<string, bool> whichFile) =>
        Run(input, files => files.FirstOrDefault(whichFile), encrypted: false);

    /// <summary>
    /// Overwrites the file <paramref name="pick"/> chooses among the database's files (null:
    /// none); with <paramref name="encrypted"/>, in a database created with a master key.
    /// </summary>
    public static void Run(byte[] input, Func<IReadOnlyList<string>, string?> pick, bool encrypted)
    {
        if (input.Length < 5)
        {
            return;
        }

        var fs = new FaultyFileSystem();
        var options = new StorageOptions
        {
            FileSystem = fs,
            Durability = Durability.Sync,
            Log = new LogOptions { SegmentSize = 64 * 1024, PrepareSpareInBackground = false },
            MasterKey = encrypted ? FuzzKey : null,
        };
        using (var engine = StorageEngine.Open(Directory, options))
        {
            for (var i = 0; i < 40; i++)
            {
                engine.CommitAsync(new WriteBatch().Put(Key(i), Encoding.UTF8.GetBytes($"value {i} {new string('v', i * 7)}"))).AsTask().GetAwaiter().GetResult();
                if (i == 20)
                {
                    engine.CheckpointAsync().GetAwaiter().GetResult();
                }
            }
        }

        var file = pick([.. AllFiles(fs).Where(f => !f.EndsWith("/LOCK", StringComparison.Ordinal)).Order(StringComparer.Ordinal)]);
        if (file is null)
        {
            return;
        }

        using (var handle = fs.Open(file, create: false))
        {
            var offset = (long)(BinaryPrimitives.ReadUInt32LittleEndian(input) % (ulong)Math.Max(1, handle.Length));
            fs.Poke(file, offset, input.AsSpan(4));
        }

        try
        {
            using var engine = StorageEngine.Open(Directory, options);
            foreach (var _ in engine.Scan())
            {
            }

            for (var i = 0; i < 40; i++)
            {
                _ = engine.Get(Key(i));
            }
        }
        catch (Exception ex) when (ex is CorruptDataException or IncompatibleFormatException or EncryptionKeyException)
        {
            // The damage was found and said.
        }
    }

    private static byte[] Key(int i) => Encoding.UTF8.GetBytes($"key{i:D4}");

    private static IEnumerable<string> AllFiles(FaultyFileSystem fs) =>
        fs.ListFiles(Directory).Select(name => $"{Directory}/{name}")
            .Concat(fs.DirectoryExists($"{Directory}/wal") ? fs.ListFiles($"{Directory}/wal").Select(name => $"{Directory}/wal/{name}") : []);
}
