using System.Buffers.Binary;
using Quire.Storage.Format;
using Quire.Storage.IO;

namespace Quire.Storage.Engine;

/// <summary>Decides about one page of a checkpoint copy: its number and its image as on disk.</summary>
/// <param name="page">The page's number.</param>
/// <param name="image">The page as the copy holds it.</param>
/// <returns>Whether the page is taken (for <see cref="CheckpointCopy.WritePackAsync"/>).</returns>
public delegate bool PageFilter(long page, ReadOnlySpan<byte> image);

/// <summary>
/// Page packs: the pages of a checkpoint that changed since an earlier copy, so an archive
/// uploads what a checkpoint wrote rather than the whole database. A copy and the packs
/// after it, applied in order, make the data file as of the last pack's checkpoint: every
/// page its tree reaches was either written since the copy (and is in a pack) or is as the
/// copy has it, since a copy-on-write tree never rewrites a page it still references.
/// </summary>
/// <remarks>
/// A pack: a 64-byte header (magic <c>QUIREPPK</c>, version 1, page size, page count,
/// covered seq, CRC-32C of the header), then entries of the page number (8 bytes) and the
/// page, the file header and both superblock slots always among them, then a 24-byte
/// trailer (magic <c>QUIREPPE</c>, the number of entries, CRC-32C of every entry byte).
/// </remarks>
public sealed partial class CheckpointCopy
{
    private const int PackVersion = 1;
    private const int PackTrailerSize = 24;
    private static ReadOnlySpan<byte> PackMagic => "QUIREPPK"u8;
    private static ReadOnlySpan<byte> PackTrailerMagic => "QUIREPPE"u8;

    /// <summary>
    /// Writes a pack of this checkpoint to <paramref name="destination"/>: the file header and
    /// superblock pages, and every page <paramref name="include"/> takes (those that differ from
    /// what the receiver already has). Returns the pages written.
    /// </summary>
    public async Task<long> WritePackAsync(Stream destination, PageFilter include, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(include);
        var header = new byte[HeaderSize];
        PackMagic.CopyTo(header);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(8), PackVersion);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(12), PageSize);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(16), PageCount);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(24), Seq);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(HeaderSize - 4), Crc32C.Compute(header.AsSpan(0, HeaderSize - 4)));
        await destination.WriteAsync(header, cancellationToken).ConfigureAwait(false);

        var entry = new byte[8 + PageSize];
        var crc = Crc32C.Seed;
        var written = 0L;
        foreach (var (first, bytes) in Chunks())
        {
            for (var i = 0; i < bytes.Length / PageSize; i++)
            {
                var image = bytes.Slice(i * PageSize, PageSize);
                if (first + i < DataFile.FirstDataPage || include(first + i, image.Span))
                {
                    BinaryPrimitives.WriteInt64LittleEndian(entry, first + i);
                    image.Span.CopyTo(entry.AsSpan(8));
                    crc = Crc32C.Append(crc, entry);
                    await destination.WriteAsync(entry, cancellationToken).ConfigureAwait(false);
                    written++;
                }
            }
        }

        var trailer = new byte[PackTrailerSize];
        PackTrailerMagic.CopyTo(trailer);
        BinaryPrimitives.WriteInt64LittleEndian(trailer.AsSpan(8), written);
        BinaryPrimitives.WriteUInt32LittleEndian(trailer.AsSpan(16), Crc32C.Finish(crc));
        await destination.WriteAsync(trailer, cancellationToken).ConfigureAwait(false);
        return written;
    }

    /// <summary>Writes a pack's pages into the data file being received; its page count and seq.</summary>
    private static async Task<(long PageCount, long Seq)> ApplyPackAsync(Stream pack, IStorageFile file, int pageSize, byte[] first, CancellationToken cancellationToken)
    {
        var header = new byte[HeaderSize];
        await ReadExactlyAsync(pack, header, cancellationToken).ConfigureAwait(false);
        if (!header.AsSpan(0, 8).SequenceEqual(PackMagic)
            || BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(HeaderSize - 4)) != Crc32C.Compute(header.AsSpan(0, HeaderSize - 4)))
        {
            throw new CorruptDataException("the stream is not a Quire page pack", "pack", 0);
        }

        var (version, packPageSize) = (BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(8)), BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(12)));
        var (packPages, seq) = (BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(16)), BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(24)));
        if (version != PackVersion || packPageSize != pageSize || packPages < DataFile.FirstDataPage || seq < -1)
        {
            throw new CorruptDataException($"the pack is not one for these pages (version {version}, page size {packPageSize} for {pageSize}, {packPages} pages)", "pack", 0);
        }

        var entry = new byte[8 + pageSize];
        var crc = Crc32C.Seed;
        var count = 0L;
        while (true)
        {
            await ReadExactlyAsync(pack, entry.AsMemory(0, 8), cancellationToken).ConfigureAwait(false);
            if (entry.AsSpan(0, 8).SequenceEqual(PackTrailerMagic))
            {
                break;
            }

            var page = BinaryPrimitives.ReadInt64LittleEndian(entry);
            if (page < 0 || page >= packPages)
            {
                throw new CorruptDataException($"the pack holds page {page}, past its {packPages} pages", "pack", -1);
            }

            await ReadExactlyAsync(pack, entry.AsMemory(8), cancellationToken).ConfigureAwait(false);
            crc = Crc32C.Append(crc, entry);
            file.Write(page * pageSize, entry.AsSpan(8));
            if (page < DataFile.FirstDataPage)
            {
                entry.AsSpan(8).CopyTo(first.AsSpan((int)page * pageSize));
            }

            count++;
        }

        var rest = new byte[PackTrailerSize - 8];
        await ReadExactlyAsync(pack, rest, cancellationToken).ConfigureAwait(false);
        if (BinaryPrimitives.ReadInt64LittleEndian(rest) != count || BinaryPrimitives.ReadUInt32LittleEndian(rest.AsSpan(8)) != Crc32C.Finish(crc))
        {
            throw new CorruptDataException("the pack's pages fail their checksum", "pack", -1);
        }

        return (packPages, seq);
    }
}
