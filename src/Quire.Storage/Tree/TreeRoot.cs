
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

    /// <summary>The head of the hash chain after the last chained op at or before <see cref="Seq"/> (see <see cref="Format.HashChain"/>).</summary>
    public byte[] ChainHead { get; set; } = new byte[Format.HashChain.HashSize];

    /// <summary>The root frozen after this one (roots form a list, oldest live first).</summary>
    public TreeRoot? Next { get; set; }

    /// <summary>Nodes and blobs replaced while this root's generation was written (reachable from older roots only), until sorted out.</summary>
    public List<Retiree>? Replaced { get; set; }

    /// <summary>Replaced nodes and blobs this root still reaches and no newer kept root does: freed (or passed on) when it goes.</summary>
    public List<Retiree>? Held { get; set; }

    /// <summary>
    /// Pins the root for reading; false when it was reclaimed (read a newer one) or, for
    /// a moment, while a reclaim looks at it. Every successful pin needs one <see cref="Unpin"/>.
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
        if (Volatile.Read(ref _pins) != 0)
        {
            return false; // the common case with a snapshot open: no mark for a reader to trip on
        }

        Interlocked.Exchange(ref _reclaimed, 1);
        if (Volatile.Read(ref _pins) == 0)
        {
            return true;
        }

        Volatile.Write(ref _reclaimed, 0);
        return false;
    }
}
