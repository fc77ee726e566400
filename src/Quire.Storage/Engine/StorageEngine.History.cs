using System.Buffers.Binary;
using Quire.Storage.Format;
using Quire.Storage.Tree;

namespace Quire.Storage.Engine;

/// <summary>
/// Reading the past: with <see cref="StorageOptions.KeepHistory"/> every write that replaces
/// a cell keeps the old one as a past version (see <see cref="HistoryKey"/>), so a snapshot
/// can show any seq from the floor on, and reclaiming erases the past versions no seq
/// from the floor on can need.
/// </summary>
public sealed partial class StorageEngine
{
    // Past versions scanned under one pin of the root while reclaiming, and erased per commit.
    private const int ReclaimScanEntries = 65_536;
    private const int ReclaimErasesPerCommit = 4096;

    private int _reclaiming;

    /// <summary>The oldest seq a snapshot as of an earlier seq may show (-1: back to the start), or null when history is not kept.</summary>
    public long? HistoryFloor
    {
        get
        {
            var root = _state.PinPublished();
            try
            {
                return FloorOf(root);
            }
            finally
            {
                root.Unpin();
            }
        }
    }

    /// <summary>
    /// A stable view of the state as it was right after op <paramref name="asOf"/>, read from
    /// the live tree and the past versions it keeps: point reads, scans and cursors in either
    /// direction, as <see cref="OpenSnapshot()"/> gives. Dispose it when done.
    /// </summary>
    /// <exception cref="HistoryUnavailableException">History is not kept, or <paramref name="asOf"/> is older than <see cref="HistoryFloor"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="asOf"/> is after the last visible seq.</exception>
    public Snapshot OpenSnapshot(long asOf)
    {
        var root = _state.PinPublished();
        try
        {
            if (asOf > root.Seq)
            {
                throw new ArgumentOutOfRangeException(nameof(asOf), asOf, $"seq {asOf} is after the last seq, {root.Seq}");
            }

            if (FloorOf(root) is not { } floor || asOf < floor)
            {
                throw new HistoryUnavailableException(asOf, FloorOf(root));
            }
        }
        catch
        {
            root.Unpin();
            throw;
        }

        return new Snapshot(root, _state.Source, _snapshots, asOf == root.Seq ? long.MaxValue : asOf, hidesReserved: true);
    }

    /// <summary>
    /// Moves the history floor up to <paramref name="horizon"/> (at most the last seq) and
    /// erases every past version that no seq from there on can show: those replaced at or
    /// before it, one range at the left of the past versions (<see cref="HistoryKey"/>). The
    /// floor moves first, in one commit, so no reader asks for what is then erased; the
    /// erasures follow in commits of at most 4,096, each taking a seq. Returns how many past
    /// versions went. Nothing happens when history is not kept or the floor is already there.
    /// </summary>
    public async Task<long> ReclaimHistoryAsync(long horizon, CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _reclaiming, 1) != 0)
        {
            return 0;   // one reclaim at a time; the running one gets there
        }

        try
        {
            horizon = Math.Min(horizon, LastSeq);
            if (HistoryFloor is not { } floor || horizon <= floor)
            {
                return 0;
            }

            await CommitEngineOpAsync(op => op.Put(HistoryKey.FloorKey, TreeState.HistoryKeyFloor(horizon)), cancellationToken).ConfigureAwait(false);
            return await EraseRangeAsync(HistoryKey.VersionsStart, HistoryKey.ReplacedAfter(horizon), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Volatile.Write(ref _reclaiming, 0);
        }
    }

    /// <summary>Erases every key in [<paramref name="from"/>, <paramref name="to"/>), a scan's worth of keys under one pin at a time.</summary>
    private async Task<long> EraseRangeAsync(byte[] from, byte[] to, CancellationToken cancellationToken)
    {
        long erased = 0;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var keys = KeysIn(from, to, ReclaimScanEntries);
            if (keys.Count == 0)
            {
                return erased;
            }

            for (var i = 0; i < keys.Count; i += ReclaimErasesPerCommit)
            {
                var chunk = keys.GetRange(i, Math.Min(ReclaimErasesPerCommit, keys.Count - i));
                await CommitEngineOpAsync(
                    op =>
                    {
                        foreach (var key in chunk)
                        {
                            op.Erase(key);
                        }
                    },
                    cancellationToken).ConfigureAwait(false);
                erased += chunk.Count;
            }

            from = keys[^1];   // erased: the next scan starts after it
        }
    }

    /// <summary>At most <paramref name="limit"/> keys of [<paramref name="from"/>, <paramref name="to"/>) in the published tree, tombstones included.</summary>
    private List<byte[]> KeysIn(byte[] from, byte[] to, int limit)
    {
        var keys = new List<byte[]>();
        var root = _state.PinPublished();
        try
        {
            foreach (var cursor in TreeCursor.Range(root, _state.Source, from, to, reverse: false))
            {
                keys.Add(cursor.Key.ToArray());
                if (keys.Count == limit)
                {
                    break;
                }
            }

            return keys;
        }
        finally
        {
            root.Unpin();
        }
    }

    private long? FloorOf(TreeRoot root) =>
        _options.KeepHistory && TreeReader.TryGet(root.Node, HistoryKey.FloorKey, _state.Source, out _, out var value) && value is { Length: 8 }
            ? BinaryPrimitives.ReadInt64BigEndian(value)
            : null;

    /// <summary>
    /// At open, with history kept: a database whose checkpoint was not written keeping it
    /// (one written before history existed, or with it off) may have been changed without
    /// past versions kept, so its floor starts again at its last seq. Until that is in place
    /// checkpoints do not claim history (a crash meanwhile comes back here). Opening with
    /// history off reads and writes nothing: its checkpoints say so, and the next open that
    /// keeps history starts the floor again.
    /// </summary>
    private void AlignHistoryFloor()
    {
        if (!_options.KeepHistory)
        {
            return;
        }

        var superblock = _file.Superblock;
        var legacy = KeysIn(HistoryKey.LegacyStart, HistoryKey.VersionsStart, 1).Count > 0;
        if ((!superblock.KeepsHistory && superblock.RootAddress != 0) || legacy)
        {
            // (Nothing checkpointed: the whole log was replayed keeping past versions, and the
            // tree starts with a floor of -1.) Past versions in the earlier layout are not
            // read: the history starts again here, and they are erased.
            var lastSeq = LastSeq;
            CommitEngineOpAsync(op => op.Put(HistoryKey.FloorKey, TreeState.HistoryKeyFloor(lastSeq)), CancellationToken.None).GetAwaiter().GetResult();
            if (legacy)
            {
                EraseRangeAsync(HistoryKey.LegacyStart, HistoryKey.VersionsStart, CancellationToken.None).GetAwaiter().GetResult();
            }
        }

        _checkpointer.KeepsHistory = true;
    }

    private async Task CommitEngineOpAsync(Action<WriteBatch.OpBuilder> write, CancellationToken cancellationToken)
    {
        using var batch = new WriteBatch { IsEngineBatch = true };
        var op = batch.BeginOp();
        write(op);
        op.End();
        await CommitAsync(batch, Durability.Sync, cancellationToken).ConfigureAwait(false);
    }
}
