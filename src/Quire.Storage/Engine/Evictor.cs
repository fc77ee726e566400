using Quire.Storage.Tree;

namespace Quire.Storage.Engine;

/// <summary>
/// Keeps resident nodes within the memory budget: while over it, sweeps the published
/// tree like a clock and drops the references to nodes whose address is final (a
/// durable checkpoint holds them), sparing once each node a reader touched since the
/// last sweep. A dropped child is stored: its address goes into the parent's page
/// first, and the next reader loads it again. Dirty nodes stay: checkpoints make them
/// evictable. Leaves go first; an internal node only once none of its children is in
/// memory. Runs on the checkpointer's thread.
/// </summary>
internal sealed class Evictor(TreeState state, PagePool pool, StorageOptions options, EngineStats stats)
{
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
            // Two passes: the first may only clear touched marks. A root that is a leaf has
            // nothing below it to evict, and the root itself always stays.
            for (var pass = 0; pass < 2 && pool.InUse > target && !root.Node.IsLeaf; pass++)
            {
                Sweep(root.Node, target);
            }
        }
        finally
        {
            root.Unpin();
        }
    }

    /// <summary>Visits the children of a frozen node, deepest first, evicting the untouched ones with a final address.</summary>
    private void Sweep(Node node, long target)
    {
        var children = node.Children!;
        for (var i = 0; i <= node.Count && pool.InUse > target; i++)
        {
            var child = Volatile.Read(ref children[i]);
            if (child is null)
            {
                continue;
            }

            if (!child.IsLeaf)
            {
                Sweep(child, target);
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

            // The address first: whoever sees the reference gone must find it in the page.
            PageLayout.SetChildAddress(node.Page, i, child.Address);
            Volatile.Write(ref children[i], null);
            if (child.TryMarkEvicted())
            {
                pool.Forget();
                stats.Evictions++;
            }
        }
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
