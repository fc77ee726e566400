using System.Diagnostics;
using System.Security.Cryptography;
using Quire.Storage.Crypto;
using Quire.Storage.Format;
using Quire.Storage.IO;
using Quire.Storage.Log;
using Quire.Storage.Tree;

namespace Quire.Storage.Engine;

/// <summary>
/// One database's storage: a write-ahead log with group commit, and the state it
/// describes. Commit with <see cref="CommitAsync"/>; read the latest published state
/// with <see cref="Get"/>, <see cref="TryGetVersioned"/> and <see cref="Scan"/>.
/// Thread-safe. Dispose to finish queued commits and close the files.
/// </summary>
public sealed partial class StorageEngine : IDisposable
{
    private const string LockName = "LOCK";

    private readonly StorageOptions _options;
    private readonly IDisposable _lock;
    private readonly DataFile _file;
    private readonly FreeSpace _space;
    private readonly SnapshotRegistry _snapshots;
    private readonly WriteAheadLog _log;
    private readonly TreeState _state;
    private readonly GroupCommitter _committer;
    private readonly Checkpointer _checkpointer;
    private readonly int _maxBatchBytes;
    private int _disposed;

    private StorageEngine(
        StorageOptions options, IDisposable directoryLock, DataFile file, FreeSpace space, WriteAheadLog log, TreeState state,
        LogRecoveryReport recovery, TimeSpan openTime)
    {
        _options = options;
        _lock = directoryLock;
        _file = file;
        _log = log;
        _state = state;
        Identity = file.Identity;
        Recovery = recovery;
        OpenTime = openTime;
        _maxBatchBytes = Math.Min(options.MaxBatchBytes, options.Log.MaxPayload);
        _committer = new GroupCommitter(log, state, options, Stats);
        _space = space;
        _snapshots = new SnapshotRegistry(options, Stats);
        var evictor = new Evictor(state, file.Pool!, options, Stats);
        _checkpointer = new Checkpointer(
            file, space, state, log, options, Stats, _committer.RefuseCommits, () => _committer.Failure,
            maintenance: () =>
            {
                evictor.EvictIfOverBudget();
                _snapshots.Enforce(state.RetainedPages * state.PageSize);
            })
        {
            LogFloor = () => LogHolds.Floor,
        };
    }

    /// <summary>The database's UUID, epoch and page size.</summary>
    public DatabaseIdentity Identity { get; }

    /// <summary>Whether pages and log records are sealed with the database's data key (see <see cref="StorageOptions.MasterKey"/>).</summary>
    public bool IsEncrypted => _file.IsEncrypted;

    /// <summary>
    /// Seals bytes this database keeps outside itself (its archive's objects) under its data
    /// key, bound to <paramref name="context"/> (the object's name); throws when the database is
    /// not encrypted (there is no key).
    /// </summary>
    /// <exception cref="InvalidOperationException">The database is not encrypted.</exception>
    public byte[] SealExternal(ReadOnlySpan<byte> plain, string context) =>
        (_file.Cipher ?? throw new InvalidOperationException("the database is not encrypted")).SealExternal(plain, context);

    /// <summary>Opens what <see cref="SealExternal"/> sealed under <paramref name="context"/>.</summary>
    /// <exception cref="CorruptDataException">It fails its tag: changed, renamed, or sealed by another database.</exception>
    /// <exception cref="InvalidOperationException">The database is not encrypted.</exception>
    public byte[] OpenExternal(ReadOnlySpan<byte> sealedBytes, string context) =>
        (_file.Cipher ?? throw new InvalidOperationException("the database is not encrypted")).OpenExternal(sealedBytes, context)
            ?? throw new CorruptDataException("a sealed object fails its authentication tag (changed, renamed, or not this database's)", context, 0);

    /// <summary>What opening the log found: seqs, records read, a torn tail cut.</summary>
    public LogRecoveryReport Recovery { get; }

    /// <summary>How long <see cref="Open"/> took.</summary>
    public TimeSpan OpenTime { get; }

    /// <summary>Write-path counters.</summary>
    public EngineStats Stats { get; } = new();

    /// <summary>The seq of the last op whose writes are visible, or -1 for an empty database.</summary>
    public long LastSeq => _state.PublishedSeq;

    /// <summary>The last visible seq and the hash chain's head as of it, read together (see <see cref="HashChain"/>).</summary>
    public (long Seq, byte[] Head) ChainHead
    {
        get
        {
            var root = _state.Published;
            return (root.Seq, (byte[])root.ChainHead.Clone());
        }
    }

    /// <summary>Bytes written to log files, for write amplification.</summary>
    public long LogBytesWritten => _log.BytesWritten;

    /// <summary>Bytes written to the data file by checkpoints, for write amplification.</summary>
    public long DataBytesWritten => _file.BytesWritten;

    /// <summary>The last seq the durable checkpoint covers; open replays the log after it.</summary>
    public long CheckpointedSeq => _checkpointer.CoveredSeq;

    /// <summary>Log bytes written since the last checkpoint.</summary>
    public long LogBytesSinceCheckpoint => _checkpointer.LogBytesSinceCheckpoint;

    /// <summary>Bytes of node pages held in memory.</summary>
    public long ResidentBytes => _state.ResidentPages * Identity.PageSize;

    /// <summary>The tree state, for tests that look inside.</summary>
    internal TreeState State => _state;

    /// <summary>Bytes of nodes no checkpoint has written yet: what the next one writes (blobs aside).</summary>
    public long DirtyBytes => _state.DirtyPages * Identity.PageSize;

    /// <summary>Levels of the published tree, from the root to the leaves.</summary>
    public int TreeDepth => _state.Published.Depth;

    /// <summary>Pages in the data file (in use or free).</summary>
    public long DataFilePages => _space.PageCount;

    /// <summary>Pages of the data file free for reuse now.</summary>
    public long FreePages => _space.FreePages;

    /// <summary>Node pages read from the data file.</summary>
    public long PagesRead => _file.PagesRead;

    /// <summary>The failure that turned the engine read-only, or null while it accepts commits.</summary>
    public StorageFailedException? Failure => _committer.Failure;

    /// <summary>Commits waiting for the writer.</summary>
    public int QueueDepth => _committer.QueueDepth;

    /// <summary>
    /// Opens the database in <paramref name="directory"/>, creating it if it does not
    /// exist. Replays the log; a torn tail is cut and reported in <see cref="Recovery"/>;
    /// corruption anywhere else throws <see cref="CorruptDataException"/>. An encrypted
    /// database opened without its master key, or with another, throws
    /// <see cref="EncryptionKeyException"/>.
    /// </summary>
    public static StorageEngine Open(string directory, StorageOptions? options = null)
    {
        options ??= new StorageOptions();
        options.Validate();
        var started = Stopwatch.GetTimestamp();
        var fs = options.FileSystem;
        directory = Path.GetFullPath(directory);
        if (!fs.DirectoryExists(directory))
        {
            fs.CreateDirectory(directory);
            var parent = Path.GetDirectoryName(directory);
            if (parent is not null)
            {
                fs.SyncDirectory(parent);
            }
        }

        var directoryLock = fs.Lock(Path.Combine(directory, LockName));
        try
        {
            var (file, space, log, state, recovery) = fs.FileExists(Path.Combine(directory, DataFile.Name))
                ? Recover(fs, directory, options)
                : Create(fs, directory, options);
            var engine = new StorageEngine(options, directoryLock, file, space, log, state, recovery, Stopwatch.GetElapsedTime(started));
            try
            {
                EngineMeter.Opened(engine, directory);
                engine.Stats.Tag = EngineMeter.Tag(engine);
                engine.AlignHistoryFloor();
            }
            catch
            {
                engine.Dispose();
                throw;
            }

            return engine;
        }
        catch
        {
            directoryLock.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Commits a batch atomically. The result gives the seqs its ops took. With
    /// <see cref="Durability.Sync"/> (the default) the commit is durable when this
    /// completes. Waits while the commit queue is full. A small sync commit that finds
    /// the engine idle is written and fsynced on the calling thread, which this call then
    /// blocks for that long (about one fsync), and usually returns completed. Throws
    /// <see cref="KeyPreconditionFailedException"/> (nothing applied) or
    /// <see cref="StorageFailedException"/> (the engine is read-only).
    /// </summary>
    /// <param name="batch">The ops; not to be changed until the commit completes.</param>
    /// <param name="durability">Overrides the database's durability for this commit.</param>
    /// <param name="cancellationToken">Cancels waiting for room in a full queue (not a queued commit).</param>
    public ValueTask<CommitResult> CommitAsync(WriteBatch batch, Durability? durability = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.IsOpOpen)
        {
            throw new InvalidOperationException("the batch has an op that was not ended");
        }

        if (batch.OpCount == 0)
        {
            throw new ArgumentException("a batch must hold at least one op", nameof(batch));
        }

        if (batch.ByteSize > _maxBatchBytes)
        {
            throw new BatchTooLargeException($"a batch of {batch.ByteSize} bytes exceeds the limit of {_maxBatchBytes} bytes");
        }

        if (ReadOnlyReason is { } readOnly)
        {
            throw new ReadOnlyEngineException(readOnly);
        }

        if (batch.TouchesReserved && _options.KeepHistory && !batch.IsEngineBatch)
        {
            throw new ArgumentException($"keys starting with byte 0x{HistoryKey.Reserved:X2} are the engine's own while it keeps history", nameof(batch));
        }

        return _committer.CommitAsync(batch, durability ?? _options.Durability, cancellationToken);
    }

    /// <summary>The live value of <paramref name="key"/>, or null when it does not exist or was deleted.</summary>
    public byte[]? Get(ReadOnlySpan<byte> key) => TryGetVersioned(key, out var value) ? value.Value : null;

    /// <summary>The value and version of <paramref name="key"/>, tombstones included; false when it was never written.</summary>
    public bool TryGetVersioned(ReadOnlySpan<byte> key, out VersionedValue value)
    {
        var root = _state.PinPublished();
        try
        {
            var found = TreeReader.TryGet(root.Node, key, _state.Source, out var version, out var bytes);
            value = new VersionedValue(version, bytes);
            return found;
        }
        finally
        {
            root.Unpin();
        }
    }

    /// <summary>
    /// Live entries with <paramref name="from"/> &lt;= key &lt; <paramref name="to"/> (empty
    /// bounds are open), in key order or, with <paramref name="reverse"/>, from the last;
    /// at most <paramref name="limit"/> of them. All from one snapshot.
    /// </summary>
    public IReadOnlyList<StoredEntry> Scan(ReadOnlySpan<byte> from = default, ReadOnlySpan<byte> to = default, bool reverse = false, int limit = int.MaxValue)
    {
        using var snapshot = OpenSnapshot();
        return snapshot.Scan(from.IsEmpty ? null : from.ToArray(), to.IsEmpty ? null : to.ToArray(), reverse).Take(limit).ToList();
    }

    /// <summary>A stable view of everything published now, read without locks; dispose it when done.</summary>
    public Snapshot OpenSnapshot() => new(_state.PinPublished(), _state.Source, _snapshots, hidesReserved: _options.KeepHistory);

    /// <summary>
    /// A view of everything applied, including commits not yet durable and so not yet
    /// visible: what a writer computes its next batch against (index entries to remove,
    /// say), guarding it with preconditions on the versions it read. Never answer a read
    /// from it: it may show writes that a crash would lose. Dispose it when done. It is
    /// not subject to the snapshot caps (<see cref="StorageOptions.MaxSnapshotAge"/>):
    /// a writer holds it only while it computes a batch.
    /// </summary>
    public Snapshot OpenWriteView() => new(_state.PinLatest(), _state.Source, registry: null, hidesReserved: _options.KeepHistory);

    /// <summary>Snapshots open now.</summary>
    public int OpenSnapshots => _snapshots.Count;

    /// <summary>Durable log records from the one holding <paramref name="fromSeq"/> on (for replication and inspection).</summary>
    public IEnumerable<LogRecord> ReadLog(long fromSeq) => _log.ReadFrom(fromSeq);

    /// <summary>
    /// Checkpoints everything published now: when this completes, open replays nothing
    /// before it. Completes with what was written, or null when nothing changed since
    /// the last checkpoint. Throws <see cref="StorageFailedException"/> when a write or
    /// fsync failed (the engine is then read-only), or an <see cref="IOException"/> for
    /// a full disk (nothing changed; a later checkpoint retries).
    /// </summary>
    public Task<CheckpointResult?> CheckpointAsync() => _checkpointer.CheckpointAsync();

    /// <summary>Finishes queued commits, syncs the log, writes a last checkpoint and closes the files.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        EngineMeter.Closed(this);
        _committer.Dispose();
        _checkpointer.Dispose();
        _log.Dispose();
        _file.Dispose();
        _lock.Dispose();
    }

    /// <summary>
    /// Makes the files of a new database (a new UUID and epoch; encrypted when the options
    /// hold a master key) whose log starts at <paramref name="firstSeq"/>: 0, or the seq after
    /// the one a copy (<see cref="CopyTo(string, StorageOptions)"/>) ends at.
    /// </summary>
    private static (DataFile, FreeSpace, WriteAheadLog, TreeState, LogRecoveryReport) Create(
        IFileSystem fs, string directory, StorageOptions options, int? pageSize = null, long firstSeq = 0)
    {
        var identity = new DatabaseIdentity(Guid.NewGuid(), NewEpoch(), pageSize ?? options.PageSize);
        RemoveUnfinishedCreation(fs, directory);

        // The key file first: a data file that says it is encrypted always has one.
        DataCipher? cipher = null;
        if (options.MasterKey is { } master)
        {
            var dataKey = RandomNumberGenerator.GetBytes(KeyFile.DataKeySize);
            KeyFile.Write(fs, directory, identity.DatabaseId, master, dataKey);
            cipher = new DataCipher(dataKey, identity.DatabaseId);
            CryptographicOperations.ZeroMemory(dataKey);
        }

        var log = WriteAheadLog.Create(fs, directory, identity, options.Log, firstSeq, cipher);
        try
        {
            DataFile.Create(fs, directory, identity, encrypted: cipher is not null);
            var file = DataFile.Open(fs, directory);
            file.Cipher = cipher;
            var pool = new PagePool(identity.PageSize, file.Tail);
            file.Pool = pool;
            var space = new FreeSpace(file.Superblock.PageCount, []);
            return (file, space, log, new TreeState(pool, file, space, keepHistory: options.KeepHistory), new LogRecoveryReport());
        }
        catch
        {
            log.Dispose();
            cipher?.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Opens an existing database: the newest superblock gives the root (only the root
    /// page is read; the rest loads on demand), and the log is replayed from the seq
    /// after the one it covers.
    /// </summary>
    private static (DataFile, FreeSpace, WriteAheadLog, TreeState, LogRecoveryReport) Recover(IFileSystem fs, string directory, StorageOptions options)
    {
        var file = DataFile.Open(fs, directory);
        TreeState? state = null;
        try
        {
            if (file.IsEncrypted)
            {
                var dataKey = KeyFile.Read(fs, directory, file.Identity.DatabaseId, options.MasterKey);
                file.Cipher = new DataCipher(dataKey, file.Identity.DatabaseId);
                CryptographicOperations.ZeroMemory(dataKey);
            }

            var superblock = file.Superblock;
            var pool = new PagePool(file.Identity.PageSize, file.Tail); // fixed at creation, whatever the options say now
            file.Pool = pool;
            var start = superblock.RootAddress == 0 ? null
                : new TreeRoot(file.LoadNode(superblock.RootAddress), superblock.CoveredSeq, superblock.Depth, superblock.KeyCount, -1) { ChainHead = superblock.ChainHead };
            var space = FreeSpace.Read(file, superblock);
            state = new TreeState(pool, file, space, start, options.KeepHistory);
            var from = superblock.CoveredSeq + 1;
            var log = WriteAheadLog.Open(fs, directory, file.Identity, options.Log, from, r => state.Replay(r.Payload.Span, r.FirstSeq, from), out var recovery, file.Cipher);
            if (recovery.StartSeq > from || recovery.NextSeq < from)
            {
                log.Dispose();
                throw new CorruptDataException(
                    $"the log holds seqs {recovery.StartSeq} to {recovery.NextSeq - 1}, and the checkpoint needs it to continue from seq {from}", directory, -1);
            }

            try
            {
                state.FinishReplay(log.NextSeq - 1);
            }
            catch
            {
                log.Dispose();
                throw;
            }

            return (file, space, log, state, recovery);
        }
        catch
        {
            state?.AbandonReplay();   // replay applies on a pool thread: it must stop reading pages before the file closes
            file.Dispose();
            throw;
        }
    }

    private static ulong NewEpoch() => BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(8));

    /// <summary>A crash during creation can leave a key file and log files without <c>quire.db</c>; nothing in them was ever acknowledged.</summary>
    private static void RemoveUnfinishedCreation(IFileSystem fs, string directory)
    {
        if (KeyFile.Exists(fs, directory))
        {
            fs.Delete(Path.Combine(directory, KeyFile.Name));
        }

        var wal = Path.Combine(directory, SegmentNames.Directory);
        if (!fs.DirectoryExists(wal))
        {
            return;
        }

        foreach (var name in fs.ListFiles(wal))
        {
            if (SegmentNames.TryParseSegment(name, out _) || SegmentNames.TryParseSpare(name, out _))
            {
                fs.Delete(Path.Combine(wal, name));
            }
        }

        fs.SyncDirectory(wal);
    }
}
