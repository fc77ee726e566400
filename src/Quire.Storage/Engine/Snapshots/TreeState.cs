using Quire.Storage.Format;
using Quire.Storage.Tree;

namespace Quire.Storage.Engine;

/// <summary>
/// The state as roots of a copy-on-write tree. One thread at a time (the publisher,
/// the log writer, or a caller leading its own commit) applies each publication
/// range of a group (see <see cref="GroupCommitter"/>) in one pass and freezes its
/// root; publishing the range makes that root the one readers see. So a root never
/// shows a later range's writes, readers never see what is not yet published, and a
/// failed group is simply never published. Readers pin the published root and read
/// it without locks. Roots form a list, oldest first; once the oldest is older than
/// the published one and unpinned it is reclaimed, and the nodes replaced in the next
/// root's generation (reachable from older roots only) give back their pages. Apply,
/// publish and reclaim run in the publisher's order, one at a time.
/// </summary>
internal sealed class TreeState : ITreeRetirement
{
    private readonly BTree _tree;
    private readonly INodeSource? _source;
    private readonly PagePool _pool;
    private readonly FreeSpace? _space;
    private List<Retiree> _replaced = [];

    // Lists of replaced nodes sorted out by Reclaim, kept for the next generations: one per
    // generation, grown by doubling, was the largest allocation under many small commits.
    private readonly Stack<List<Retiree>> _spareRetirees = new();
    private TreeRoot _oldest;

    // Roots applied and frozen, waiting (in order) to be published: at most one per publication range.
    private readonly Queue<TreeRoot> _unpublished = new();
    private TreeRoot _latest;

    // The chain head after the last chained op applied (the writer's; roots get copies).
    private readonly byte[] _chainHead = new byte[HashChain.HashSize];
    private byte[] _recordScratch = new byte[1024];

    // Writes of the log tail being replayed, applied in key order (see KeyOrderBuffer).
    private KeyOrderBuffer? _replay;

    // A publication range with at least this many writes is applied in key order.
    private const int SortedApplyWrites = 64;
    private KeyOrderBuffer? _sortedApply;
    private byte[] _chainKeyScratch = new byte[64];
    private TreeRoot _published;

    /// <param name="pool">Page buffers for nodes.</param>
    /// <param name="source">Where stored nodes are read from (null while everything is in memory).</param>
    /// <param name="space">Told the pages of what is replaced, once nothing reaches it (null while everything is in memory).</param>
    /// <param name="start">The root to start from (read from disk), or null for an empty tree.</param>
    /// <param name="keepHistory">Whether replaced cells are kept as past versions (see <see cref="HistoryKey"/>).</param>
    public TreeState(PagePool pool, INodeSource? source, FreeSpace? space, TreeRoot? start = null, bool keepHistory = false)
    {
        _space = space;
        _source = source;
        _pool = pool;
        _tree = new BTree(_pool, source, start) { Retirement = this, KeepsHistory = keepHistory };
        if (start is not null)
        {
            start.ChainHead.CopyTo(_chainHead, 0);
        }
        else if (keepHistory)
        {
            // Nothing was ever checkpointed: the whole log is replayed with past versions
            // kept, so AS OF reaches back to the start. Written by the first checkpoint; a
            // crash before it comes back here.
            _tree.Upsert(HistoryKey.FloorKey, -1, HistoryKeyFloor(-1), tombstone: false);
        }

        _oldest = _latest = _published = _tree.Freeze(start?.Seq ?? -1);
        _published.ChainHead = (byte[])_chainHead.Clone();
    }

    /// <summary>The value of <see cref="HistoryKey.FloorKey"/> for <paramref name="seq"/>.</summary>
    public static byte[] HistoryKeyFloor(long seq)
    {
        var value = new byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(value, seq);
        return value;
    }

    /// <summary>Replaced nodes kept in memory because an older root is still in use (a snapshot's, say).</summary>
    public long RetainedPages => Interlocked.Read(ref _retainedPages);

    private long _retainedPages;

    /// <summary>Bytes of a node page.</summary>
    public int PageSize => _pool.PageSize;

    /// <summary>Page buffers held by nodes (resident bytes / page size).</summary>
    public long ResidentPages => _pool.InUse;

    /// <summary>Nodes of the working tree no checkpoint has written: what the next one will write.</summary>
    public long DirtyPages => _tree.DirtyPages;

    /// <summary>A checkpoint wrote <paramref name="node"/>.</summary>
    public void Written(Node node) => _tree.Written(node);

    /// <summary>A checkpoint that wrote <paramref name="node"/> failed.</summary>
    public void Unwritten(Node node) => _tree.Unwritten(node);

    /// <summary>Where stored nodes are read from (null while everything is in memory).</summary>
    public INodeSource? Source => _source;

    /// <summary>The root readers see (pin it before reading: <see cref="PinPublished"/>).</summary>
    public TreeRoot Published => Volatile.Read(ref _published);

    /// <summary>Pins and returns the published root; unpin it when done.</summary>
    public TreeRoot PinPublished()
    {
        while (true)
        {
            var root = Volatile.Read(ref _published);
            if (root.TryPin())
            {
                return root;
            }
        }
    }

    /// <summary>Pins and returns the latest applied root, published or not; unpin it when done.</summary>
    public TreeRoot PinLatest()
    {
        while (true)
        {
            var root = Volatile.Read(ref _latest);
            if (root.TryPin())
            {
                return root;
            }
        }
    }

    /// <summary>The last seq whose writes are visible, or -1.</summary>
    public long PublishedSeq => Published.Seq;

    /// <summary>
    /// The value of a key including everything applied but not yet published: what the
    /// sequencer checks preconditions against (every earlier commit counts). Only while
    /// no apply runs.
    /// </summary>
    public bool TryGetLatest(ReadOnlySpan<byte> key, out VersionedValue value)
    {
        var found = TreeReader.TryGet(_latest.Node, key, _source, out var version, out var bytes);
        value = new VersionedValue(version, bytes);
        return found;
    }

    /// <summary>Applies the ops of one encoded batch from seq <paramref name="fromSeq"/> on during log replay; <see cref="FinishReplay"/> publishes them all.</summary>
    public void Replay(ReadOnlySpan<byte> payload, long firstSeq, long fromSeq) => Buffer(_replay ??= new KeyOrderBuffer(), payload, firstSeq, fromSeq);

    /// <summary>Adds the writes of one encoded batch from seq <paramref name="fromSeq"/> on to <paramref name="buffer"/>, linking chained ops as it goes (in seq order).</summary>
    private void Buffer(KeyOrderBuffer buffer, ReadOnlySpan<byte> payload, long firstSeq, long fromSeq)
    {
        var reader = new BatchPayload.Reader(payload);
        while (reader.MoveNext())
        {
            var seq = firstSeq + reader.OpIndex;
            if (seq < fromSeq)
            {
                continue;
            }

            if (!reader.IsChained)
            {
                buffer.Add(_tree, reader.Key, seq, reader.Value, reader.IsErase ? WriteKind.Erase : reader.IsDelete ? WriteKind.Tombstone : WriteKind.Put);
                continue;
            }

            if (_chainKeyScratch.Length < reader.Key.Length + 8)
            {
                _chainKeyScratch = new byte[reader.Key.Length + 8];
            }

            var key = _chainKeyScratch.AsSpan(0, reader.Key.Length + 8);
            buffer.Add(_tree, key, seq, LinkRecord(ref reader, seq, key), tombstone: false);
        }
    }

    /// <summary>Writes an entry as another database holds it (its version, value or tombstone), building a copy; only while nothing else applies.</summary>
    public void Load(ReadOnlySpan<byte> key, long version, ReadOnlySpan<byte> value, bool tombstone) => _tree.Upsert(key, version, value, tombstone);

    /// <summary>Publishes what <see cref="Load"/> wrote as of <paramref name="seq"/>, with the copied database's chain head.</summary>
    public void PublishLoaded(long seq, byte[] chainHead)
    {
        chainHead.CopyTo(_chainHead, 0);
        _latest = _published = Freeze(seq);
        Reclaim();
    }

    /// <summary>Ends a failed replay: waits for any chunk still being applied, so nothing touches the tree once the caller drops it.</summary>
    public void AbandonReplay()
    {
        _replay?.Abandon();
        _replay = null;
    }

    /// <summary>Publishes what replay applied, up to <paramref name="lastSeq"/>.</summary>
    public void FinishReplay(long lastSeq)
    {
        _replay?.ApplyTo(_tree);
        _replay = null;
        if (lastSeq > _published.Seq)
        {
            _latest = _published = Freeze(lastSeq);
            Reclaim();
        }
    }

    /// <summary>Applies sequenced commits [from, to) of a group and freezes their root, to be published by the matching <see cref="Publish"/>.</summary>
    public void Apply(IReadOnlyList<PendingCommit> commits, int from, int to)
    {
        var seq = _latest.Seq;
        var writes = 0;
        for (var i = from; i < to; i++)
        {
            writes += commits[i].Batch.WriteCount;
        }

        // Many writes go in key order (see KeyOrderBuffer): descents stay in cache. The root
        // is frozen only at the end, so the order inside the range is not observable.
        var sorted = writes >= SortedApplyWrites ? _sortedApply ??= new KeyOrderBuffer(int.MaxValue, parallel: true) : null;
        for (var i = from; i < to; i++)
        {
            var commit = commits[i];
            if (commit.FirstSeq < 0)
            {
                continue; // rejected by a precondition
            }

            if (sorted is not null)
            {
                Buffer(sorted, commit.Batch.Payload, commit.FirstSeq, commit.FirstSeq);
            }
            else
            {
                var reader = new BatchPayload.Reader(commit.Batch.Payload);
                while (reader.MoveNext())
                {
                    ApplyWrite(ref reader, commit.FirstSeq + reader.OpIndex);
                }
            }

            seq = commit.FirstSeq + commit.Batch.OpCount - 1;
        }

        sorted?.ApplyTo(_tree);

        var root = Freeze(seq);
        Volatile.Write(ref _latest, root);
        lock (_unpublished)
        {
            _unpublished.Enqueue(root);
        }
    }

    /// <summary>Makes the root of the next applied range visible.</summary>
    public void Publish()
    {
        TreeRoot root;
        lock (_unpublished)
        {
            root = _unpublished.Dequeue();
        }

        Volatile.Write(ref _published, root);
        Reclaim();
    }

    /// <summary>Reclaims roots unpinned since the last publish; by the writer while nothing is being applied or published.</summary>
    public void ReclaimIdle() => Reclaim();

    void ITreeRetirement.Retired(Node node) => _replaced.Add(new Retiree(node, null, 0, 0, node.Generation, _tree.Generation));

    void ITreeRetirement.Retired(Blob blob, int length) =>
        _replaced.Add(new Retiree(null, blob, 0, DataFile.BlobPages(length, _pool.PageSize, _pool.Tail), blob.Generation, _tree.Generation));

    // Known only by address: it came with a leaf read from disk, older than any generation.
    void ITreeRetirement.Retired(long blobAddress, int length) =>
        _replaced.Add(new Retiree(null, null, blobAddress, DataFile.BlobPages(length, _pool.PageSize, _pool.Tail), -1, _tree.Generation));

    void ITreeRetirement.RetiredPage(long address) => _replaced.Add(new Retiree(null, null, address, 1, -1, _tree.Generation));

    /// <summary>Applies one key write; a chain record is linked into the chain and stored under its prefix and seq.</summary>
    private void ApplyWrite(ref BatchPayload.Reader reader, long seq)
    {
        if (reader.IsErase)
        {
            _tree.Erase(reader.Key);
            return;
        }

        if (!reader.IsChained)
        {
            _tree.Upsert(reader.Key, seq, reader.Value, reader.IsDelete);
            return;
        }

        Span<byte> key = stackalloc byte[reader.Key.Length + 8];
        _tree.Upsert(key, seq, LinkRecord(ref reader, seq, key), tombstone: false);
    }

    /// <summary>
    /// Links a chained op into the hash chain (in seq order: the chain head moves) and
    /// returns the record to store, in a scratch buffer valid until the next call; its key
    /// (the op's prefix and seq) goes to <paramref name="key"/>.
    /// </summary>
    private ReadOnlySpan<byte> LinkRecord(ref BatchPayload.Reader reader, long seq, scoped Span<byte> key)
    {
        // Value is digest || body; the record stored is previous || hash || digest || body.
        // The tree copies the value, so one scratch buffer serves every record (applies run one at a time).
        var digest = reader.Value[..HashChain.HashSize];
        var length = (2 * HashChain.HashSize) + reader.Value.Length;
        if (_recordScratch.Length < length)
        {
            _recordScratch = new byte[Math.Max(length, _recordScratch.Length * 2)];
        }

        var record = _recordScratch.AsSpan(0, length);
        _chainHead.CopyTo(record);
        HashChain.Link(_chainHead, seq, digest, record.Slice(HashChain.HashSize, HashChain.HashSize));
        reader.Value.CopyTo(record[(2 * HashChain.HashSize)..]);
        record.Slice(HashChain.HashSize, HashChain.HashSize).CopyTo(_chainHead);
        HashChain.RecordKey(reader.Key, seq, key);
        return record;
    }

    private TreeRoot Freeze(long seq)
    {
        _tree.FlushHistory();
        var root = _tree.Freeze(seq);
        root.ChainHead = (byte[])_chainHead.Clone();
        root.Replaced = _replaced;
        Interlocked.Add(ref _retainedPages, _replaced.Count);
        _replaced = _spareRetirees.TryPop(out var spare) ? spare : [];
        _latest.Next = root;
        return root;
    }

    /// <summary>
    /// Walks the roots, oldest first: sorts out each root's replaced nodes (free now if no
    /// kept older root reaches them, else held by the newest that does), and reclaims
    /// every unpinned root older than the published one, passing what it held to the
    /// kept root before it. So a long-lived snapshot keeps only what it reaches, not
    /// every version written since.
    /// </summary>
    private void Reclaim()
    {
        var published = Volatile.Read(ref _published);
        TreeRoot? kept = null;
        var olderThanPublished = true;
        for (var root = _oldest; root is not null; root = root.Next)
        {
            if (root.Replaced is { } replaced)
            {
                root.Replaced = null;
                Sift(replaced, kept);
                Recycle(replaced);
            }

            olderThanPublished &= root != published;
            if (olderThanPublished && root.TryReclaim())
            {
                if (root.Held is { } held)
                {
                    root.Held = null;
                    Sift(held, kept);
                    Recycle(held);
                }

                if (kept is null)
                {
                    _oldest = root.Next!;
                }
                else
                {
                    kept.Next = root.Next;
                }
            }
            else
            {
                kept = root;
            }
        }
    }

    /// <summary>Keeps a list whose retirees were sorted out, empty, for a later generation (not one a replay or a huge batch grew large: that memory would stay taken).</summary>
    private void Recycle(List<Retiree> retirees)
    {
        retirees.Clear();
        if (_spareRetirees.Count < 64 && retirees.Capacity <= 4096)
        {
            _spareRetirees.Push(retirees);
        }
    }

    /// <summary>Frees what <paramref name="kept"/> (the newest kept root older than their replacement) does not reach; it holds the rest.</summary>
    private void Sift(List<Retiree> retirees, TreeRoot? kept)
    {
        List<Retiree>? held = null;
        foreach (var retiree in retirees)
        {
            if (kept is not null && retiree.Created <= kept.Generation)
            {
                (held ??= kept.Held ?? []).Add(retiree);
            }
            else
            {
                Free(retiree);
            }
        }

        if (held is not null)
        {
            kept!.Held = held;
        }
    }

    /// <summary>Reuses a node's buffer now, and gives its pages (or a blob's) to be freed once no durable checkpoint needs them.</summary>
    private void Free(Retiree retiree)
    {
        if (retiree.Node is { } node)
        {
            Interlocked.Decrement(ref _retainedPages);
            if (node.Address != 0)
            {
                _space?.Retire(node.Address, 1, retiree.Replaced);
            }

            if (node.TryMarkReturned())
            {
                _pool.Return(node.Page);
                if (node.Children is { } children)
                {
                    _pool.ReturnChildren(children);
                }
            }

            return;
        }

        Interlocked.Decrement(ref _retainedPages);
        var address = retiree.Blob?.Address ?? retiree.Address;
        if (address != 0)
        {
            _space?.Retire(address, retiree.Pages, retiree.Replaced);
        }
    }
}
