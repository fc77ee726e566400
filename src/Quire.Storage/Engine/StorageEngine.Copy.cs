using Quire.Storage.Tree;

namespace Quire.Storage.Engine;

public sealed partial class StorageEngine
{
    // A copy checkpoints after this many bytes of entries, so it never holds more than
    // about that much dirty in memory whatever the database's size.
    private const long CopyCheckpointBytes = 64L * 1024 * 1024;

    /// <summary>
    /// Writes everything published now into a new database in <paramref name="directory"/>
    /// (which must not hold one), created with <paramref name="options"/>: the same entries
    /// with their versions, tombstones and past versions, the same last seq and chain head;
    /// its log continues at the next seq. The copy is laid out afresh by the target's
    /// settings, so a <see cref="StorageOptions.MasterKey"/> makes it an encrypted copy of a
    /// plaintext database (or the reverse without one). It gets a UUID of its own. Commits
    /// may go on meanwhile; they are not in the copy. Returns the copy's last seq.
    /// </summary>
    public long CopyTo(string directory, StorageOptions options) => CopyTo(directory, options, CopyCheckpointBytes);

    /// <summary><see cref="CopyTo(string, StorageOptions)"/>, checkpointing after every <paramref name="checkpointBytes"/> of entries (tests make it small).</summary>
    internal long CopyTo(string directory, StorageOptions options, long checkpointBytes)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var fs = options.FileSystem;
        directory = Path.GetFullPath(directory);
        if (fs.DirectoryExists(directory) && fs.FileExists(Path.Combine(directory, DataFile.Name)))
        {
            throw new IOException($"'{directory}' already holds a database");
        }

        if (!fs.DirectoryExists(directory))
        {
            fs.CreateDirectory(directory);
        }

        var root = _state.PinPublished();
        try
        {
            using var directoryLock = fs.Lock(Path.Combine(directory, LockName));

            // Past versions are entries like any other: the copy takes them as they are, keeping none of its own.
            var target = options with { KeepHistory = false };
            var (file, space, log, state, recovery) = Create(fs, directory, target, Identity.PageSize, root.Seq + 1);
            using var copy = new StorageEngine(target, NoLock.Instance, file, space, log, state, recovery, TimeSpan.Zero);
            copy._checkpointer.KeepsHistory = _checkpointer.KeepsHistory;   // and says it has them, as the source does
            var written = 0L;
            var published = -1L;
            foreach (var cursor in TreeCursor.Range(root, _state.Source, null, null, reverse: false))
            {
                var cell = cursor.Cell;
                var value = cell.IsTombstone ? null : cursor.Value;
                state.Load(cursor.Key, cell.Version, value, cell.IsTombstone);
                written += cursor.Key.Length + (value?.Length ?? 0) + 16;
                if (written >= checkpointBytes && published + 1 < root.Seq)
                {
                    // An intermediate root below the copy's seq: the checkpointer writes a root
                    // only once its seq passes the one it covers.
                    state.PublishLoaded(++published, root.ChainHead);
                    copy.CheckpointAsync().GetAwaiter().GetResult();
                    written = 0;
                }
            }

            state.PublishLoaded(root.Seq, root.ChainHead);
            copy.CheckpointAsync().GetAwaiter().GetResult();
            return root.Seq;
        }
        finally
        {
            root.Unpin();
        }
    }

    /// <summary>
    /// Whether the database in <paramref name="directory"/> keeps past versions, as its durable
    /// checkpoint says, without opening it: open it with that <see cref="StorageOptions.KeepHistory"/>
    /// to leave its history as it is. True for a database never checkpointed: its whole log
    /// replays, and the replay keeps past versions only when asked to.
    /// </summary>
    public static bool KeepsHistory(string directory, IO.IFileSystem? fs = null)
    {
        using var file = DataFile.Open(fs ?? IO.OsFileSystem.Instance, Path.GetFullPath(directory));
        return file.Superblock.KeepsHistory || file.Superblock.RootAddress == 0;
    }

    /// <summary>The lock of a copy being built, held by <see cref="CopyTo(string, StorageOptions)"/> itself.</summary>
    private sealed class NoLock : IDisposable
    {
        public static readonly NoLock Instance = new();

        public void Dispose()
        {
        }
    }
}
