using Quire.Storage.Tree;

namespace Quire.Storage.Engine;

/// <summary>
/// Keeps resident nodes within the memory budget: while over it, sweeps the published
/// tree like a clock and drops the references to nodes whose address is final (a
/// durable checkpoint holds them), sparing once each node a reader touched since the
/// last sweep. The clock's hand is a key: each sweep goes on from where the last one
/// stopped and wraps around at the end, so every part of the keyspace takes its turn
/// (starting from the first key each time would evict the same hot region over and
/// over while cold records later in the keyspace stayed). A dropped child is stored: its address goes into the parent's page
/// first, and the next reader loads it again. Dirty nodes stay: checkpoints make them
/// evictable. Leaves go first; an internal node only once none of its children is in
/// memory. Runs on the checkpointer's thread.
/// </summary>
internal sealed class Evictor(TreeState state, PagePool pool, StorageOptions options, EngineStats stats)
{
    // The first key of the node the next sweep starts at; null for the start of the tree.
    private byte[]? _hand;

    /// <summary>Evicts down to 90% of the budget when resident nodes exceed it.</summary>
    public void EvictIfOverBudget()
    {
        var budget = options.MemoryBudget / pool.PageSize;
        if (pool.InUse <= budget)
        {
            return;
        }

        var target = budget * 9 / 10;
        var root = state.PinPublished();
        try
        {
            // Round the clock at most twice (the first round may only clear touched marks),
            // from the hand. A root that is a leaf has nothing below it to evict, and the
            // root itself always stays.
            for (var round = 0; round < 3 && pool.InUse > target && !root.Node.IsLeaf; round++)
            {
                var from = _hand;
                _hand = null;
                Sweep(root.Node, target, from);
            }
        }
        finally
        {
            root.Unpin();
        }
    }

    /// <summary>
    /// Visits the children of a frozen node, deepest first, evicting the untouched ones
    /// with a final address; starts at the child holding <paramref name="from"/> (the
    /// first child when null). True when the target was reached; the hand is then set to
    /// where the sweep stopped.
    /// </summary>
    private bool Sweep(Node node, long target, byte[]? from)
    {
        var children = node.Children!;
        var start = from is null ? 0 : TreeReader.ChildIndex(node.Page, from);
        for (var i = start; i <= node.Count; i++)
        {
            if (pool.InUse <= target)
            {
                // Stopped before child i: the next sweep starts there (at the first key it can hold).
                _hand ??= i == 0 ? from : PageLayout.KeyAt(node.Page, i - 1).ToArray();
                return true;
            }

            var child = Volatile.Read(ref children[i]);
            if (child is null)
            {
                continue;
            }

            if (!child.IsLeaf)
            {
                if (Sweep(child, target, i == start ? from : null))
                {
                    return true;
                }

                if (HasChildInMemory(child))
                {
                    continue;
                }
            }

            if (!child.AddressIsFinal)
            {
                continue;
            }

            if (child.Touched)
            {
                child.Touched = false;
                continue;
            }

            // The working tree's copy of a replaced node holds the same child: dropping it
            // here would free nothing, and would leave it uncounted while it lives on there.
            if (node.IsReplaced)
            {
                continue;
            }

            // The address first: whoever sees the reference gone must find it in the page.
            PageLayout.SetChildAddress(node.Page, i, child.Address);
            Interlocked.Exchange(ref children[i], null);

            // Replaced meanwhile: the copy may have taken the reference before it went, so the
            // child stays counted (at worst one page counted after it is gone).
            if (!node.IsReplaced && TreeReader.Forget(child, pool))
            {
                stats.Evictions++;
            }
        }

        return pool.InUse <= target;
    }

    private static bool HasChildInMemory(Node node)
    {
        for (var i = 0; i <= node.Count; i++)
        {
            if (Volatile.Read(ref node.Children![i]) is not null)
            {
                return true;
            }
        }

        return false;
    }
}
