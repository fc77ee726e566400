using Quire.Storage.Tree;

namespace Quire.Storage.Tests.Tree;

/// <summary>Every entry of a frozen tree in a key range, tombstones included.</summary>
internal static class TreeEntries
{
    public static IEnumerable<(byte[] Key, long Version, byte[]? Value)> Scan(TreeRoot root, byte[]? from, byte[]? to, bool reverse, INodeSource? source = null) =>
        TreeCursor.Range(root, source, from, to, reverse).Select(c => (c.Key.ToArray(), c.Cell.Version, c.Value));
}
