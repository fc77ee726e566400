using Quire.Storage.Tree;

namespace Quire.Storage.Tests.Tree;

/// <summary>The pool's child arrays: reused, never handed out holding a node, never too short.</summary>
public class PagePoolTests
{
    [Fact]
    public void Child_arrays_come_back_cleared_and_long_enough()
    {
        var pool = new PagePool(8192);
        var first = pool.RentChildren(200);
        Assert.Equal(256, first.Length);
        var node = Node.Create(pool, PageLayout.LeafKind, 0);
        first[0] = node;
        first[255] = node;
        pool.ReturnChildren(first);

        var again = pool.RentChildren(129);
        Assert.Same(first, again);
        Assert.All(again, Assert.Null);

        Assert.Equal(16, pool.RentChildren(0).Length);
        Assert.NotSame(first, pool.RentChildren(256)); // the one kept is out again
    }

    [Fact]
    public void Arrays_of_other_lengths_are_left_to_the_gc()
    {
        var pool = new PagePool(8192);
        var odd = new Node?[100];
        pool.ReturnChildren(odd);
        Assert.NotSame(odd, pool.RentChildren(100));
    }

    [Fact]
    public void An_internal_node_grows_its_children_from_the_pool_and_gives_back_the_old_array()
    {
        var pool = new PagePool(8192);
        var parent = Node.Create(pool, PageLayout.InternalKind, 0);
        var small = parent.Children!;
        Assert.Equal(16, small.Length);
        var child = Node.Create(pool, PageLayout.LeafKind, 0);
        parent.SetChild(40, child, pool);

        Assert.Equal(64, parent.Children!.Length);
        Assert.Same(child, parent.Children[40]);
        Assert.Same(small, pool.RentChildren(16)); // the outgrown array went back, cleared
        Assert.All(small, Assert.Null);
    }
}
