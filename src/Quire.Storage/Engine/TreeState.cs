using Quire.Storage.Tree;

namespace Quire.Storage.Engine;

/// <summary>
/// The state as roots of a copy-on-write tree. The writer applies each publication
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
    private List<Node> _replaced = [];
    private List<(Blob? Blob, long Address, int Length)> _replacedBlobs = [];
    private TreeRoot _oldest;

    // Roots applied and frozen, waiting (in order) to be published: at most one per publication range.
    private readonly Queue<TreeRoot> _unpublished = new();
    private TreeRoot _latest;
    private TreeRoot _published;

    // Counts for the dirty-page estimate: nodes created since the last checkpointed root, less those replaced since.
    private long _checkpointGeneration = -1;
    private long _createdAtCheckpoint;
    private long _replacedSinceCheckpoint;

    /// <param name="pool">Page buffers for nodes.</param>
    /// <param name="source">Where stored nodes are read from (null while everything is in memory).</param>
    /// <param name="space">Told the pages of what is replaced, once nothing reaches it (null while everything is in memory).</param>
    /// <param name="start">The root to start from (read from disk), or null for an empty tree.</param>
    public TreeState(PagePool pool, INodeSource? source, FreeSpace? space, TreeRoot? start = null)
    {
        _space = space;
        _source = source;
        _pool = pool;
        _tree = new BTree(_pool, source, start) { Retirement = this };
        _oldest = _latest = _published = _tree.Freeze(start?.Seq ?? -1);
    }

    /// <summary>Page buffers held by nodes (resident bytes / page size).</summary>
    public long ResidentPages => _pool.InUse;

    /// <summary>About how many nodes of the working tree have no address: what the next checkpoint will write.</summary>
    public long DirtyPages =>
        Math.Max(0, _tree.NodesCreated - Interlocked.Read(ref _createdAtCheckpoint) - Interlocked.Read(ref _replacedSinceCheckpoint));

    /// <summary>Told by the checkpointer that <paramref name="root"/> is now durable.</summary>
    public void Checkpointed(TreeRoot root)
    {
        Interlocked.Exchange(ref _checkpointGeneration, root.Generation);
        Interlocked.Exchange(ref _createdAtCheckpoint, root.NodesCreated);
        Interlocked.Exchange(ref _replacedSinceCheckpoint, 0);
    }

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

    /// <summary>The last seq whose writes are visible, or -1.</summary>
    public long PublishedSeq => Published.Seq;

    /// <summary>The largest key the tree takes.</summary>
    public int MaxKeyLength => _tree.MaxKeyLength;

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
    public void Replay(ReadOnlySpan<byte> payload, long firstSeq, long fromSeq)
    {
        var reader = new BatchPayload.Reader(payload);
        while (reader.MoveNext())
        {
            if (firstSeq + reader.OpIndex >= fromSeq)
            {
                _tree.Upsert(reader.Key, firstSeq + reader.OpIndex, reader.Value, reader.IsDelete);
            }
        }
    }

    /// <summary>Publishes what replay applied, up to <paramref name="lastSeq"/>.</summary>
    public void FinishReplay(long lastSeq)
    {
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
        for (var i = from; i < to; i++)
        {
            var commit = commits[i];
            if (commit.FirstSeq < 0)
            {
                continue; // rejected by a precondition
            }

            var reader = new BatchPayload.Reader(commit.Batch.Payload);
            while (reader.MoveNext())
            {
                _tree.Upsert(reader.Key, commit.FirstSeq + reader.OpIndex, reader.Value, reader.IsDelete);
            }

            seq = commit.FirstSeq + commit.Batch.OpCount - 1;
        }

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

    void ITreeRetirement.Retired(Node node)
    {
        _replaced.Add(node);
        if (node.Generation > Interlocked.Read(ref _checkpointGeneration))
        {
            Interlocked.Increment(ref _replacedSinceCheckpoint);
        }
    }

    void ITreeRetirement.Retired(Blob blob, int length) => _replacedBlobs.Add((blob, 0, length));

    void ITreeRetirement.Retired(long blobAddress, int length) => _replacedBlobs.Add((null, blobAddress, length));

    private TreeRoot Freeze(long seq)
    {
        var root = _tree.Freeze(seq);
        root.Replaced = _replaced;
        root.ReplacedBlobs = _replacedBlobs.Count == 0 ? null : _replacedBlobs;
        _replaced = [];
        if (root.ReplacedBlobs is not null)
        {
            _replacedBlobs = [];
        }
        _latest.Next = root;
        return root;
    }

    /// <summary>Reclaims the oldest roots while they are older than the published one and unpinned.</summary>
    private void Reclaim()
    {
        var published = Volatile.Read(ref _published);
        while (_oldest != published && _oldest.TryReclaim())
        {
            _oldest = _oldest.Next!;

            // Nothing older than the new oldest root is left: what its generation replaced is
            // unreachable, so its buffer is reused now and its pages once no durable checkpoint needs them.
            var generation = _oldest.Generation;
            if (_oldest.Replaced is { } replaced)
            {
                foreach (var node in replaced)
                {
                    if (node.Address != 0)
                    {
                        _space?.Retire(node.Address, 1, generation);
                    }

                    _pool.Return(node.Page);
                }

                _oldest.Replaced = null;
            }

            if (_oldest.ReplacedBlobs is { } blobs)
            {
                foreach (var (blob, onDisk, length) in blobs)
                {
                    var address = blob?.Address ?? onDisk;
                    if (address != 0)
                    {
                        _space?.Retire(address, DataFile.BlobPages(length, _pool.PageSize), generation);
                    }
                }

                _oldest.ReplacedBlobs = null;
            }
        }
    }
}
