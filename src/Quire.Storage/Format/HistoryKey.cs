using System.Buffers.Binary;

namespace Quire.Storage.Format;

/// <summary>
/// Where the engine keeps past versions, in the same tree as the live keys: under the
/// reserved first byte <see cref="Reserved"/>, which no key written through a batch may
/// start with while history is kept. A past version of key <c>k</c> that op <c>v</c> wrote
/// lives at <c>[0xFF][0x01][groups(k)][v as 8 bytes big endian]</c>, where <c>groups</c>
/// is an order-preserving, prefix-free encoding (eight bytes at a time, zero-padded, each
/// followed by 0xFF when more follow or by 0xFF minus the padding at the end, as
/// memcomparable formats do). So the past versions of one key are adjacent and in version
/// order, and "the newest version of k at or before seq s" is one backward seek.
/// Engine settings live at <c>[0xFF][0x00][name]</c>.
/// </summary>
internal static class HistoryKey
{
    /// <summary>The first byte of every key the engine keeps for itself.</summary>
    public const byte Reserved = 0xFF;

    private const byte SettingTag = 0x00;
    private const byte VersionTag = 0x01;
    private const int Group = 8;

    /// <summary>The key holding the oldest seq an AS OF read may ask for (8 bytes, big endian).</summary>
    public static readonly byte[] FloorKey = [Reserved, SettingTag, .. "history-floor"u8];

    /// <summary>The first key of the past versions' range.</summary>
    public static readonly byte[] VersionsStart = [Reserved, VersionTag];

    /// <summary>The key just after the past versions' range.</summary>
    public static readonly byte[] VersionsEnd = [Reserved, VersionTag + 1];

    /// <summary>Whether <paramref name="key"/> is one the engine keeps for itself.</summary>
    public static bool IsReserved(ReadOnlySpan<byte> key) => key.Length > 0 && key[0] == Reserved;

    /// <summary>Bytes of the key of a past version of a key of <paramref name="keyLength"/> bytes.</summary>
    public static int Length(int keyLength) => PrefixLength(keyLength) + 8;

    /// <summary>Bytes of the part before the version.</summary>
    public static int PrefixLength(int keyLength) => 2 + ((keyLength / Group) + 1) * (Group + 1);

    /// <summary>Writes the key of the version of <paramref name="key"/> written at <paramref name="version"/>; returns its length.</summary>
    public static int Write(Span<byte> destination, ReadOnlySpan<byte> key, long version)
    {
        var prefix = WritePrefix(destination, key);
        BinaryPrimitives.WriteInt64BigEndian(destination[prefix..], version);
        return prefix + 8;
    }

    /// <summary>Writes the part of <paramref name="key"/>'s version keys before the version; returns its length.</summary>
    public static int WritePrefix(Span<byte> destination, ReadOnlySpan<byte> key)
    {
        destination[0] = Reserved;
        destination[1] = VersionTag;
        var at = 2;
        var rest = key;
        while (true)
        {
            // A full group is followed by 0xFF; the last (a key whose length is a multiple
            // of eight ends with one of padding only) by 0xFF less its padding.
            var take = Math.Min(Group, rest.Length);
            rest[..take].CopyTo(destination[at..]);
            destination.Slice(at + take, Group - take).Clear();
            destination[at + Group] = (byte)(0xFF - (Group - take));
            at += Group + 1;
            if (take < Group)
            {
                return at;
            }

            rest = rest[Group..];
        }
    }

    /// <summary>Reads the key and version back from a past version's key.</summary>
    public static (byte[] Key, long Version) Read(ReadOnlySpan<byte> historyKey)
    {
        var body = historyKey[2..^8];
        var key = new List<byte>(body.Length);
        for (var at = 0; at + Group < body.Length; at += Group + 1)
        {
            var marker = body[at + Group];
            var used = marker == 0xFF ? Group : Group - (0xFF - marker);
            foreach (var b in body.Slice(at, used))
            {
                key.Add(b);
            }

            if (marker != 0xFF)
            {
                break;
            }
        }

        return ([.. key], BinaryPrimitives.ReadInt64BigEndian(historyKey[^8..]));
    }
}
