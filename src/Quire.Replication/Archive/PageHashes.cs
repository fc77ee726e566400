using System.IO.Hashing;

namespace Quire.Replication.Archive;

/// <summary>
/// Each page's hash (XXH128) as the archive holds it, as of its newest base or pack: a page
/// whose hash differs at the next checkpoint goes into the next pack. Kept in memory by the
/// archiver that uploaded them (a restarted server starts again from a whole base).
/// </summary>
internal sealed class PageHashes
{
    private UInt128[] _hashes = [];
    private long _count;

    /// <summary>Records <paramref name="image"/> as the archive's page <paramref name="page"/>.</summary>
    public bool Observe(long page, ReadOnlySpan<byte> image)
    {
        Set(page, XxHash128.HashToUInt128(image));
        return true;
    }

    /// <summary>Whether page <paramref name="page"/> differs from what the archive holds, recording it as it is now.</summary>
    public bool Changed(long page, ReadOnlySpan<byte> image)
    {
        var hash = XxHash128.HashToUInt128(image);
        var changed = page >= _count || _hashes[page] != hash;
        Set(page, hash);
        return changed;
    }

    /// <summary>A copy to change while a pack is made, adopted only once the pack is in the manifest.</summary>
    public PageHashes Clone() => new() { _hashes = (UInt128[])_hashes.Clone(), _count = _count };

    private void Set(long page, UInt128 hash)
    {
        if (page >= _hashes.Length)
        {
            Array.Resize(ref _hashes, (int)Math.Max(page + 1, _hashes.Length * 2L));
        }

        _hashes[page] = hash;
        _count = Math.Max(_count, page + 1);
    }
}
