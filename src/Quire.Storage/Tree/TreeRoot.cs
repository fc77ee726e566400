namespace Quire.Storage.Tree;

/// <summary>
/// A frozen root: the whole tree as of <see cref="Seq"/>. Nothing reachable from it
/// changes again, so any number of threads may read it without locks, once they have
/// pinned it (<see cref="TryPin"/>): a root nobody pins, older than the published one,
/// is reclaimed, and the nodes only it reached are reused.
/// </summary>
internal sealed class TreeRoot(Node node, long seq, int depth, long count, long generation)
{
    private int _pins;
    private int _reclaimed;

    public Node Node { get; } = node;

    /// <summary>The last seq whose writes the tree holds, or -1.</summary>
    public long Seq { get; } = seq;

    /// <summary>Levels from the root to the leaves.</summary>
    public int Depth { get; } = depth;

    /// <summary>Keys held, tombstones included.</summary>
    public long Count { get; } = count;

    /// <summary>The writer's generation this root ended.</summary>
    public long Generation { get; } = generation;

    /// <summary>Nodes the writer had created when this root was frozen.</summary>
    public long NodesCreated { get; init; }

    /// <summary>The root frozen after this one (roots form a list, oldest live first).</summary>
    public TreeRoot? Next { get; set; }

    /// <summary>Nodes replaced while this root's generation was written: reachable from older roots only.</summary>
    public List<Node>? Replaced { get; set; }

    /// <summary>Blobs (in memory, or only an address and length on disk) replaced while this root's generation was written.</summary>
    public List<(Blob? Blob, long Address, int Length)>? ReplacedBlobs { get; set; }

    /// <summary>
    /// Pins the root for reading; false when it was already reclaimed (read a newer
    /// one). Every successful pin needs one <see cref="Unpin"/>.
    /// </summary>
    public bool TryPin()
    {
        Interlocked.Increment(ref _pins);
        if (Volatile.Read(ref _reclaimed) == 0)
        {
            return true;
        }

        Interlocked.Decrement(ref _pins);
        return false;
    }

    public void Unpin() => Interlocked.Decrement(ref _pins);

    /// <summary>
    /// Marks the root reclaimed if nobody pins it. A reader pinning at the same moment
    /// either sees the mark and backs off, or is seen here (both sides write, fence,
    /// then read the other's field).
    /// </summary>
    public bool TryReclaim()
    {
        Interlocked.Exchange(ref _reclaimed, 1);
        if (Volatile.Read(ref _pins) == 0)
        {
            return true;
        }

        Volatile.Write(ref _reclaimed, 0);
        return false;
    }
}
