namespace Quire.Storage.Tree;

/// <summary>
/// A tree node: one page in page format (see <see cref="PageLayout"/>), plus, for an
/// internal node, its children (count + 1 of them). The GC sees one object and one
/// buffer per node, never one per key.
/// </summary>
internal sealed class Node
{
    public Node(int pageSize, byte kind)
    {
        // On the pinned object heap: never moved by a compacting GC (a million keys are
        // hundreds of MB of pages), and ready to hand to native I/O without pinning.
        Page = GC.AllocateUninitializedArray<byte>(pageSize, pinned: true);
        PageLayout.Initialize(Page, kind);
        if (kind == PageLayout.InternalKind)
        {
            Children = new Node[16];
        }
    }

    public byte[] Page { get; }

    /// <summary>Children of an internal node: child i holds keys below separator i; the last holds the rest.</summary>
    public Node[]? Children { get; private set; }

    public bool IsLeaf => Page[0] == PageLayout.LeafKind;

    public int Count => PageLayout.Count(Page);

    public void SetChild(int index, Node child)
    {
        if (index >= Children!.Length)
        {
            var bigger = new Node[Math.Max(index + 1, Children.Length * 2)];
            Children.CopyTo(bigger, 0);
            Children = bigger;
        }

        Children[index] = child;
    }

    /// <summary>Inserts a child at <paramref name="index"/>, shifting later ones right (count is the child count before).</summary>
    public void InsertChild(int index, Node child, int childCount)
    {
        SetChild(childCount, child);
        Array.Copy(Children!, index, Children!, index + 1, childCount - index);
        Children![index] = child;
    }
}
