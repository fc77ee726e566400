namespace Quire.Storage.Tree;

/// <summary>
/// A node or blob the tree writer replaced: reachable only from roots of generations
/// <see cref="Created"/> to <see cref="Replaced"/> - 1. A blob known only on disk has
/// no object, just its address and length.
/// </summary>
internal readonly record struct Retiree(Node? Node, Blob? Blob, long BlobAddress, int BlobLength, long Created, long Replaced);
