using Quire.OpLog;

namespace Quire.Files;

/// <summary>
/// nedb's Merkle root over a file's chunk hashes (BLAKE2b-256 of each chunk, in order):
/// each level hashes pairs of 32-byte digests, an odd last one paired with itself; one
/// leaf is its own root; no leaves give 32 zero bytes.
/// </summary>
internal static class MerkleRoot
{
    /// <summary>The BLAKE2b-256 of a chunk: its leaf, and its key in the chunk store.</summary>
    public static byte[] Leaf(ReadOnlySpan<byte> chunk)
    {
        var hash = new byte[32];
        Blake2b.Hash(chunk, hash);
        return hash;
    }

    public static byte[] Of(IReadOnlyList<byte[]> leaves)
    {
        if (leaves.Count == 0)
        {
            return new byte[32];
        }

        var level = leaves.ToList();
        Span<byte> pair = stackalloc byte[64];
        while (level.Count > 1)
        {
            var next = new List<byte[]>((level.Count + 1) / 2);
            for (var i = 0; i < level.Count; i += 2)
            {
                level[i].CopyTo(pair);
                (i + 1 < level.Count ? level[i + 1] : level[i]).CopyTo(pair[32..]);
                var parent = new byte[32];
                Blake2b.Hash(pair, parent);
                next.Add(parent);
            }

            level = next;
        }

        return level[0];
    }
}
