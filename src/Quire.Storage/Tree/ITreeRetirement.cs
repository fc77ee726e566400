namespace Quire.Storage.Tree;

/// <summary>
/// Told of every node and blob the tree writer stops pointing to, so that their pages
/// can be freed once no root that still reaches them is in use.
/// </summary>
internal interface ITreeRetirement
{
    /// <summary>A node replaced by its copy (its address, if a checkpoint gives it one, is known only later).</summary>
    void Retired(Node node);

    /// <summary>A blob held in memory that a cell no longer points to.</summary>
    void Retired(Blob blob, int length);

    /// <summary>A blob known only by its address on disk that a cell no longer points to.</summary>
    void Retired(long blobAddress, int length);

    /// <summary>A node page on disk whose content the writer took over in memory (read under a writable parent, changed in place).</summary>
    void RetiredPage(long address);
}
