namespace Quire.Storage.Tree;

/// <summary>
/// A node or blob the tree writer replaced: reachable only from roots of generations
/// <see cref="Created"/> to <see cref="Replaced"/> - 1. What is known only on disk (a
/// blob, or a node page the writer took over) has no object, just its address. Pages:
/// how many the blob or page takes in the data file.
/// </summary>
internal readonly record struct Retiree(Node? Node, Blob? Blob, long Address, int Pages, long Created, long Replaced);
