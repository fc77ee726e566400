using System.Buffers.Binary;

namespace Quire.Storage.Format;

/// <summary>
/// Where the engine keeps past versions, in the same tree as the live keys: under the
/// reserved first byte <see cref="Reserved"/>, which no key written through a batch may
/// start with while history is kept. When op <c>r</c> replaces key <c>k</c>'s cell, the old
/// cell (its version, value or tombstone) is kept at <c>[0xFF][0x02][r as 8 bytes big
/// endian][k]</c>: ordered by the op that replaced it, so a group's past versions are
/// appended at the tree's right edge (dense pages, one leaf copied per group), and those
/// replaced at or before a seq form one range at the left, which reclaiming erases.
/// Each version names the next older one: the cell replaced by <c>r</c> has version
/// <c>u</c>, and the cell before it was replaced by <c>u</c>, so it is at <c>[u][k]</c>.
/// The version of <c>k</c> as of seq <c>s</c> is found from the live cell's version by
/// point lookups down that chain, until a version at or before <c>s</c> (or none: the key
/// did not exist then). Engine settings live at <c>[0xFF][0x00][name]</c>.
/// </summary>
/// <remarks>
/// Tag 0x01 held past versions in an earlier layout (key first); a tree that still holds
/// any has them erased and its history started again (see <see cref="LegacyStart"/>).
/// </remarks>
internal static class HistoryKey
{
    /// <summary>The first byte of every key the engine keeps for itself.</summary>
    public const byte Reserved = 0xFF;

    private const byte SettingTag = 0x00;
    private const byte LegacyTag = 0x01;
    private const byte VersionTag = 0x02;
    private const int PrefixLength = 2 + 8;

    /// <summary>The key holding the oldest seq an AS OF read may ask for (8 bytes, big endian).</summary>
    public static readonly byte[] FloorKey = [Reserved, SettingTag, .. "history-floor"u8];

    /// <summary>The first key of the past versions' range.</summary>
    public static readonly byte[] VersionsStart = [Reserved, VersionTag];

    /// <summary>The key just after the past versions' range.</summary>
    public static readonly byte[] VersionsEnd = [Reserved, VersionTag + 1];

    /// <summary>The first key of the earlier layout's past versions (erased when found).</summary>
    public static readonly byte[] LegacyStart = [Reserved, LegacyTag];

    /// <summary>Whether <paramref name="key"/> is one the engine keeps for itself.</summary>
    public static bool IsReserved(ReadOnlySpan<byte> key) => key.Length > 0 && key[0] == Reserved;

    /// <summary>Bytes of the key of a past version of a key of <paramref name="keyLength"/> bytes.</summary>
    public static int Length(int keyLength) => PrefixLength + keyLength;

    /// <summary>Writes the key of <paramref name="key"/>'s cell that op <paramref name="replacedBy"/> replaced; returns its length.</summary>
    public static int Write(Span<byte> destination, ReadOnlySpan<byte> key, long replacedBy)
    {
        destination[0] = Reserved;
        destination[1] = VersionTag;
        BinaryPrimitives.WriteInt64BigEndian(destination[2..], replacedBy);
        key.CopyTo(destination[PrefixLength..]);
        return PrefixLength + key.Length;
    }

    /// <summary>The first key after every past version replaced at or before <paramref name="seq"/>.</summary>
    public static byte[] ReplacedAfter(long seq)
    {
        var key = new byte[PrefixLength];
        Write(key, [], seq + 1);
        return key;
    }
}
