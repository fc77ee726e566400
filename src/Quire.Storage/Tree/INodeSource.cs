namespace Quire.Storage.Tree;

/// <summary>Where the tree finds what is not in memory: nodes and overflow values on disk.</summary>
internal interface INodeSource
{
    /// <summary>Reads and checks the node written at <paramref name="address"/>.</summary>
    Node LoadNode(long address);

    /// <summary>Takes back a loaded node nothing refers to (another reader installed the same page first).</summary>
    void Discard(Node node);

    /// <summary>
    /// Stops counting a loaded node's buffer as resident while readers may still use it
    /// (the GC takes it when they are done): no tree keeps it, because its parent is one
    /// the writer has replaced or the evictor has dropped.
    /// </summary>
    void Forget(Node node);

    /// <summary>Reads and checks the blob of <paramref name="length"/> bytes written at <paramref name="address"/>.</summary>
    byte[] LoadBlob(long address, int length);
}
