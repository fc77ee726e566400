using System.IO.Hashing;

namespace Quire.Replication.Archive;

/// <summary>
/// Each page's hash (XXH128) as the archive holds it, as of its newest base or pack: a page
/// whose hash differs at the next checkpoint goes into the next pack. Kept by the archiver in
/// memory and in a file beside the database (<see cref="Save"/>), so a restarted server goes on
/// with packs.
/// </summary>
internal sealed class PageHashes
{
    private const uint Magic = 0x48504151;   // "QAPH"

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

    /// <summary>Writes the hashes, as those of the image <paramref name="image"/>, to <paramref name="path"/> (whole or not at all).</summary>
    public void Save(string path, string image)
    {
        var temporary = $"{path}.{Guid.NewGuid():N}";
        using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write))
        using (var writer = new BinaryWriter(file))
        {
            writer.Write(Magic);
            writer.Write(image);
            writer.Write(_count);
            for (var i = 0L; i < _count; i++)
            {
                writer.Write((ulong)(_hashes[i] >> 64));
                writer.Write((ulong)_hashes[i]);
            }

            writer.Flush();
            file.Flush(flushToDisk: true);
        }

        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>The hashes saved at <paramref name="path"/> when they are those of the image <paramref name="image"/>; else null.</summary>
    public static PageHashes? Load(string path, string image)
    {
        try
        {
            using var reader = new BinaryReader(File.OpenRead(path));
            if (reader.ReadUInt32() != Magic || reader.ReadString() != image)
            {
                return null;
            }

            var hashes = new PageHashes();
            var count = reader.ReadInt64();
            for (var i = 0L; i < count; i++)
            {
                var high = reader.ReadUInt64();
                hashes.Set(i, ((UInt128)high << 64) | reader.ReadUInt64());
            }

            return hashes;
        }
        catch (Exception ex) when (ex is IOException or EndOfStreamException or UnauthorizedAccessException)
        {
            return null;   // none, or damaged: the next image is a whole copy
        }
    }

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
