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
    /// before it. The floor moves first, in one commit, so no reader asks for what is then
    /// erased, in commits of at most 4,096 erasures; each takes a seq. Returns how many past
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
            long erased = 0;
            byte[]? from = HistoryKey.VersionsStart;
            while (from is not null)
            {
                cancellationToken.ThrowIfCancellationRequested();
                (var reclaimable, from) = FindReclaimable(from, horizon);
                for (var i = 0; i < reclaimable.Count; i += ReclaimErasesPerCommit)
                {
                    var chunk = reclaimable.GetRange(i, Math.Min(ReclaimErasesPerCommit, reclaimable.Count - i));
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
            }

            return erased;
        }
        finally
        {
            Volatile.Write(ref _reclaiming, 0);
        }
    }

    /// <summary>
    /// The past versions from <paramref name="from"/> on, within one scan's worth, that were
    /// replaced at or before <paramref name="horizon"/>: a version is replaced by the next
    /// version of its key, the newest past one by the live cell. Returns where the next scan
    /// starts (null at the end).
    /// </summary>
    private (List<byte[]> Keys, byte[]? Next) FindReclaimable(byte[] from, long horizon)
    {
        var keys = new List<byte[]>();
        var root = _state.PinPublished();
        try
        {
            byte[]? pending = null;   // a past version whose successor is not yet known
            var scanned = 0;
            foreach (var cursor in TreeCursor.Range(root, _state.Source, from, HistoryKey.VersionsEnd, reverse: false))
            {
                var key = cursor.Key;
                if (pending is not null)
                {
                    if (SameKey(pending, key))
                    {
                        if (BinaryPrimitives.ReadInt64BigEndian(key[^8..]) <= horizon)
                        {
                            keys.Add(pending);
                        }
                    }
                    else if (LiveVersion(root, pending) <= horizon)
                    {
                        keys.Add(pending);
                    }
                }

                if (++scanned > ReclaimScanEntries)
                {
                    return (keys, key.ToArray());   // it is pending: the next scan starts with it
                }

                pending = key.ToArray();
            }

            if (pending is not null && LiveVersion(root, pending) <= horizon)
            {
                keys.Add(pending);
            }

            return (keys, null);
        }
        finally
        {
            root.Unpin();
        }
    }

    private static bool SameKey(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b) => a.Length == b.Length && a[..^8].SequenceEqual(b[..^8]);

    /// <summary>The version of the live cell (or tombstone) of the key a past version belongs to.</summary>
    private long LiveVersion(TreeRoot root, byte[] historyKey)
    {
        var (key, _) = HistoryKey.Read(historyKey);
        return TreeReader.TryGet(root.Node, key, _state.Source, out var version, out _) ? version : long.MaxValue;
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
        if (!superblock.KeepsHistory && superblock.RootAddress != 0)
        {
            // (Nothing checkpointed: the whole log was replayed keeping past versions, and the
            // tree starts with a floor of -1.)
            var lastSeq = LastSeq;
            CommitEngineOpAsync(op => op.Put(HistoryKey.FloorKey, TreeState.HistoryKeyFloor(lastSeq)), CancellationToken.None).GetAwaiter().GetResult();
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
