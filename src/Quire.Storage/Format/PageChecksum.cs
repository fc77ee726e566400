using System.Buffers.Binary;

namespace Quire.Storage.Format;

/// <summary>
/// The checksum every page of the data file carries in bytes 16-19 (tree nodes and
/// free-list pages alike): CRC32C over the page's address and the page without those
/// four bytes, so a page written to or read from the wrong place fails it too.
/// </summary>
internal static class PageChecksum
{
    public const int Offset = 16;

    /// <summary>Stores the checksum of a page about to be written at <paramref name="address"/>.</summary>
    public static void Set(Span<byte> page, long address) =>
        BinaryPrimitives.WriteUInt32LittleEndian(page[Offset..], Compute(page, address));

    /// <summary>Whether a page read from <paramref name="address"/> is the one written there, whole.</summary>
    public static bool IsValid(ReadOnlySpan<byte> page, long address) =>
        BinaryPrimitives.ReadUInt32LittleEndian(page[Offset..]) == Compute(page, address);

    private static uint Compute(ReadOnlySpan<byte> page, long address)
    {
        var crc = Crc32C.Append(Crc32C.Seed, (ulong)address);
        crc = Crc32C.Append(crc, page[..Offset]);
        return Crc32C.Finish(Crc32C.Append(crc, page[(Offset + 4)..]));
    }
}
