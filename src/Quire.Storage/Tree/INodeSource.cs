namespace Quire.Storage.Tree;

/// <summary>Where the tree finds what is not in memory: nodes and overflow values on disk.</summary>
internal interface INodeSource
{
    /// <summary>Reads and checks the node written at <paramref name="address"/>.</summary>
    Node LoadNode(long address);

    /// <summary>Reads and checks the blob of <paramref name="length"/> bytes written at <paramref name="address"/>.</summary>
    byte[] LoadBlob(long address, int length);
}
