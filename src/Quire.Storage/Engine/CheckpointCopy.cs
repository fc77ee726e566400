using System.Buffers.Binary;
using Quire.Storage.Format;
using Quire.Storage.Log;

namespace Quire.Storage.Engine;

/// <summary>
/// A consistent copy of a database's storage as of its durable checkpoint, read while
/// commits and checkpoints go on (a replica's bootstrap): the data file's pages up to the
/// checkpoint's page count, with that checkpoint's superblock the only one in force. While
/// the copy is open the engine writes none of the pages the checkpoint references and
/// keeps the log after the seq it covers, so the copy and that log make the database.
/// <see cref="ReceiveAsync(Stream, string, StorageOptions?, CancellationToken)"/> turns the stream back into a database directory whose log
/// starts at the seq after the copy's. Dispose to let the engine reuse the pages.
/// </summary>
/// <remarks>
/// The stream: a 64-byte header (magic <c>QUIRECPY</c>, version, page size, page count,
/// covered seq, key file length, CRC-32C of the header), for an encrypted database its key
/// file (the data key still sealed by the master key: the receiver needs the same master
/// key), the pages, and a 16-byte trailer (magic <c>QUIRECPE</c>, CRC-32C of every page
/// byte). Version 1 is a plaintext database's copy, version 2 an encrypted one's. Pages free in the checkpoint may hold
/// anything (a later checkpoint may be writing them); they are free in the copy too.
/// </remarks>
public sealed partial class CheckpointCopy : IDisposable
{
    private const int HeaderSize = 64;
    private const int TrailerSize = 16;
    private const int PlainVersion = 1;
    private const int EncryptedVersion = 2;
    private const int ChunkBytes = 1 << 20;
    private static ReadOnlySpan<byte> HeaderMagic => "QUIRECPY"u8;
    private static ReadOnlySpan<byte> TrailerMagic => "QUIRECPE"u8;

    private readonly DataFile _file;
    private readonly Checkpointer.DurableHold _hold;

    internal CheckpointCopy(DataFile file, Checkpointer.DurableHold hold)
    {
        _file = file;
        _hold = hold;
    }

    /// <summary>The last seq the copy holds (-1: none); the log to apply after it starts at the next.</summary>
    public long Seq => _hold.Superblock.CoveredSeq;

    /// <summary>The bytes <see cref="WriteToAsync(Stream, CancellationToken)"/> writes.</summary>
    public long Length => HeaderSize + (_file.IsEncrypted ? Crypto.KeyFile.Size : 0) + (PageCount * PageSize) + TrailerSize;

    private long PageCount => _hold.Superblock.PageCount;

    private int PageSize => _file.Identity.PageSize;

    /// <summary>Writes the copy to <paramref name="destination"/>.</summary>
    public Task WriteToAsync(Stream destination, CancellationToken cancellationToken = default) => WriteToAsync(destination, null, cancellationToken);

    /// <summary>Writes the copy to <paramref name="destination"/>, showing each page to <paramref name="observe"/> as it goes (what it answers is ignored).</summary>
    public async Task WriteToAsync(Stream destination, PageFilter? observe, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var keyFile = _file.ReadKeyFile();
        var header = new byte[HeaderSize];
        HeaderMagic.CopyTo(header);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(8), keyFile is null ? PlainVersion : EncryptedVersion);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(12), PageSize);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(16), PageCount);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(24), Seq);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(32), keyFile?.Length ?? 0);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(HeaderSize - 4), Crc32C.Compute(header.AsSpan(0, HeaderSize - 4)));
        await destination.WriteAsync(header, cancellationToken).ConfigureAwait(false);
        if (keyFile is not null)
        {
            await destination.WriteAsync(keyFile, cancellationToken).ConfigureAwait(false);
        }

        var crc = Crc32C.Seed;
        foreach (var (page, bytes) in Chunks())
        {
            if (observe is not null)
            {
                for (var i = 0; i < bytes.Length / PageSize; i++)
                {
                    observe(page + i, bytes.Span.Slice(i * PageSize, PageSize));
                }
            }

            crc = Crc32C.Append(crc, bytes.Span);
            await destination.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
        }

        var trailer = new byte[TrailerSize];
        TrailerMagic.CopyTo(trailer);
        BinaryPrimitives.WriteUInt32LittleEndian(trailer.AsSpan(8), Crc32C.Finish(crc));
        await destination.WriteAsync(trailer, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The checkpoint's pages a chunk at a time, each with its first page's number (the held
    /// superblock in its slot and the other blanked); the chunk's buffer is reused.
    /// </summary>
    private IEnumerable<(long First, ReadOnlyMemory<byte> Pages)> Chunks()
    {
        var pagesPerChunk = ChunkBytes / PageSize;
        var chunk = new byte[pagesPerChunk * PageSize];
        for (var page = 0L; page < PageCount; page += pagesPerChunk)
        {
            var pages = (int)Math.Min(pagesPerChunk, PageCount - page);
            var bytes = chunk.AsMemory(0, pages * PageSize);
            if (_file.ReadPages(page, bytes.Span) != bytes.Length)
            {
                throw new CorruptDataException($"the data file ends before page {page + pages}, the checkpoint's page count", DataFile.Name, page * PageSize);
            }

            if (page == 0)
            {
                WriteSuperblockSlots(bytes.Span);
            }

            yield return (page, bytes);
        }
    }

    /// <summary>Lets the engine reuse the checkpoint's pages and recycle its log.</summary>
    public void Dispose() => _hold.Dispose();

    /// <summary>
    /// Reads a copy from <paramref name="source"/> into <paramref name="directory"/> (new or
    /// empty): its data file, and a log that starts at the seq after the copy's. Open it with
    /// <see cref="StorageEngine.Open"/>. Returns the copy's seq.
    /// </summary>
    /// <exception cref="CorruptDataException">The stream is not a whole, intact copy.</exception>
    public static Task<long> ReceiveAsync(Stream source, string directory, StorageOptions? options = null, CancellationToken cancellationToken = default) =>
        ReceiveAsync(source, [], directory, options, cancellationToken);

    /// <summary>
    /// <see cref="ReceiveAsync(Stream, string, StorageOptions?, CancellationToken)"/>, then each of
    /// <paramref name="packs"/> in order (<see cref="WritePackAsync"/>'s, each opened when its
    /// turn comes): the database as of the last pack's checkpoint. Returns that seq.
    /// </summary>
    /// <exception cref="CorruptDataException">The copy or a pack is not whole and intact, or a pack is of other pages.</exception>
    public static async Task<long> ReceiveAsync(
        Stream source, IReadOnlyList<Func<CancellationToken, Task<Stream>>> packs, string directory, StorageOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(packs);
        options ??= new StorageOptions();
        var fs = options.FileSystem;
        var header = new byte[HeaderSize];
        await ReadExactlyAsync(source, header, cancellationToken).ConfigureAwait(false);
        if (!header.AsSpan(0, 8).SequenceEqual(HeaderMagic)
            || BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(HeaderSize - 4)) != Crc32C.Compute(header.AsSpan(0, HeaderSize - 4)))
        {
            throw new CorruptDataException("the stream is not a Quire checkpoint copy", "copy", 0);
        }

        var version = BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(8));
        var pageSize = BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(12));
        var pageCount = BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(16));
        var seq = BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(24));
        var keyFileLength = version == EncryptedVersion ? BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(32)) : 0;
        if (version is not (PlainVersion or EncryptedVersion) || keyFileLength is < 0 or > 4096 || pageSize is < 4096 or > 65536 || (pageSize & (pageSize - 1)) != 0 || pageCount < DataFile.FirstDataPage || seq < -1)
        {
            throw new CorruptDataException($"the copy's header is not one this build reads (version {version}, page size {pageSize}, {pageCount} pages)", "copy", 0);
        }

        if (!fs.DirectoryExists(directory))
        {
            fs.CreateDirectory(directory);
        }

        if (keyFileLength > 0)
        {
            var keyFile = new byte[keyFileLength];
            await ReadExactlyAsync(source, keyFile, cancellationToken).ConfigureAwait(false);
            Crypto.KeyFile.WriteRaw(fs, directory, keyFile);
        }

        var building = Path.Combine(directory, DataFile.Name + ".copy");
        var first = new byte[DataFile.FirstDataPage * pageSize];   // the file header and the superblock slots, checked at the end
        using (var file = fs.Open(building, create: true))
        {
            var pagesPerChunk = Math.Max(ChunkBytes / pageSize, (int)DataFile.FirstDataPage);
            var chunk = new byte[pagesPerChunk * pageSize];
            var crc = Crc32C.Seed;
            for (var page = 0L; page < pageCount; page += pagesPerChunk)
            {
                var bytes = chunk.AsMemory(0, (int)Math.Min(pagesPerChunk, pageCount - page) * pageSize);
                await ReadExactlyAsync(source, bytes, cancellationToken).ConfigureAwait(false);
                crc = Crc32C.Append(crc, bytes.Span);
                file.Write(page * pageSize, bytes.Span);
                if (page == 0)
                {
                    bytes.Span[..first.Length].CopyTo(first);
                }
            }

            var trailer = new byte[TrailerSize];
            await ReadExactlyAsync(source, trailer, cancellationToken).ConfigureAwait(false);
            if (!trailer.AsSpan(0, 8).SequenceEqual(TrailerMagic) || BinaryPrimitives.ReadUInt32LittleEndian(trailer.AsSpan(8)) != Crc32C.Finish(crc))
            {
                throw new CorruptDataException("the copy's pages fail their checksum", "copy", HeaderSize);
            }

            foreach (var open in packs)
            {
                await using var pack = await open(cancellationToken).ConfigureAwait(false);
                (pageCount, seq) = await ApplyPackAsync(pack, file, pageSize, first, cancellationToken).ConfigureAwait(false);
            }

            file.SyncData();
        }

        var identity = IdentityOf(first, pageSize, seq, building);
        WriteAheadLog.Create(fs, directory, identity, options.Log, seq + 1).Dispose();
        fs.Rename(building, Path.Combine(directory, DataFile.Name));
        fs.SyncDirectory(directory);
        return seq;
    }

    /// <summary>The copy's identity, once its header and superblock check out for <paramref name="seq"/>.</summary>
    private static DatabaseIdentity IdentityOf(byte[] first, int pageSize, long seq, string path)
    {
        var header = FileHeader.TryRead(first, FileKind.Database, path) ?? throw new CorruptDataException("the copy's file header is damaged", path, 0);
        var identity = new DatabaseIdentity(header.DatabaseId, header.Epoch, header.PageSize);
        if (header.PageSize != pageSize)
        {
            throw new CorruptDataException($"the copy says pages of {pageSize} bytes, its file header {header.PageSize}", path, 0);
        }

        for (var slot = 1; slot <= 2; slot++)
        {
            if (Superblock.TryRead(first.AsSpan(slot * pageSize, pageSize), identity) is { } superblock && superblock.CoveredSeq == seq)
            {
                return identity;
            }
        }

        throw new CorruptDataException($"the copy holds no superblock covering seq {seq}", path, pageSize);
    }

    /// <summary>Puts the held superblock in its slot and blanks the other: a later checkpoint's must not be copied with these pages.</summary>
    private void WriteSuperblockSlots(Span<byte> firstPages)
    {
        var superblock = _hold.Superblock;
        var slot = 1 + (int)(superblock.Checkpoint % 2);
        firstPages.Slice(PageSize, 2 * PageSize).Clear();
        superblock.Write(firstPages.Slice(slot * PageSize, PageSize), _file.Identity);
    }

    private static async Task ReadExactlyAsync(Stream source, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        try
        {
            await source.ReadExactlyAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        catch (EndOfStreamException)
        {
            throw new CorruptDataException("the copy ends early", "copy", -1);
        }
    }
}
