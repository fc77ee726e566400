using System.Buffers.Binary;
using Quire.Storage.Crypto;
using Quire.Storage.Format;
using Quire.Storage.IO;
using Quire.Storage.Tree;

namespace Quire.Storage.Engine;

/// <summary>
/// <c>quire.db</c>: the tree's pages. Page 0 holds the file header (database UUID,
/// epoch, page size), pages 1 and 2 the two superblock slots, and pages from 3 on
/// nodes and blobs, each at <c>address * page size</c>. The file exists only once the
/// database is fully created. Reads check every page's checksum and never return a
/// damaged one. In an encrypted database (<see cref="FileHeader.Encrypted"/>) nodes and
/// blobs are sealed with <see cref="Cipher"/> (pages 0-2 and the free list hold no
/// documents and stay plain). Thread-safe for reads; one checkpoint writes at a time.
/// </summary>
internal sealed class DataFile : INodeSource, IDisposable
{
    public const string Name = "quire.db";

    /// <summary>The first page number nodes and blobs may use.</summary>
    public const long FirstDataPage = 3;

    private const int BlobHeaderSize = 16;
    private const byte BlobKind = 3;

    private readonly IStorageFile _file;
    private readonly IFileSystem _fs;
    private readonly string _path;
    private readonly int _pageSize;

    private DataFile(IFileSystem fs, IStorageFile file, string path, DatabaseIdentity identity, Superblock superblock, bool encrypted)
    {
        _fs = fs;
        _file = file;
        _path = path;
        _pageSize = identity.PageSize;
        Identity = identity;
        Superblock = superblock;
        IsEncrypted = encrypted;
    }

    public DatabaseIdentity Identity { get; }

    /// <summary>Whether the header says nodes and blobs are sealed.</summary>
    public bool IsEncrypted { get; }

    /// <summary>The bytes of the database's key file (its data key sealed by the master key), or null for a plaintext database.</summary>
    public byte[]? ReadKeyFile() => IsEncrypted ? KeyFile.ReadRaw(_fs, Path.GetDirectoryName(_path)!) : null;

    /// <summary>Seals and opens nodes and blobs; set right after opening an encrypted file, before any node is read.</summary>
    public DataCipher? Cipher { get; set; }

    /// <summary>Bytes at the end of each node page and after each blob kept for the seal.</summary>
    public int Tail => IsEncrypted ? DataCipher.Reserve : 0;

    /// <summary>The newest durable superblock.</summary>
    public Superblock Superblock { get; private set; }

    /// <summary>Where loaded nodes get their buffers; set before the first load.</summary>
    public PagePool? Pool { get; set; }

    /// <summary>Bytes written to the file (pages, blobs, superblocks), for write amplification.</summary>
    public long BytesWritten => Interlocked.Read(ref _bytesWritten);

    private long _bytesWritten;

    /// <summary>Nodes read from disk.</summary>
    public long PagesRead => Interlocked.Read(ref _pagesRead);

    private long _pagesRead;

    /// <summary>Creates the file of a new database through a temporary name and a rename, so it appears whole or not at all.</summary>
    public static void Create(IFileSystem fs, string directory, DatabaseIdentity identity, bool encrypted)
    {
        var path = Path.Combine(directory, Name);
        var temporary = path + ".tmp";
        if (fs.FileExists(temporary))
        {
            fs.Delete(temporary);
        }

        using (var file = fs.Open(temporary, create: true))
        {
            var buffer = new byte[identity.PageSize * (int)FirstDataPage];
            var version = encrypted ? FileHeader.EncryptedFormatVersion : FileHeader.CurrentFormatVersion;
            new FileHeader(FileKind.Database, version, identity.PageSize, identity.DatabaseId, identity.Epoch, 0) { Encrypted = encrypted }
                .Write(buffer);
            Superblock.Empty(FirstDataPage).Write(buffer.AsSpan(identity.PageSize), identity);
            file.Write(0, buffer);
            file.SyncData();
        }

        fs.Rename(temporary, path);
        fs.SyncDirectory(directory);
    }

    /// <summary>Opens the file and reads its newest valid superblock.</summary>
    public static DataFile Open(IFileSystem fs, string directory)
    {
        var path = Path.Combine(directory, Name);
        var file = fs.Open(path, create: false);
        try
        {
            var header = new byte[FileHeader.Size];
            var read = file.ReadFully(0, header);
            var parsed = FileHeader.TryRead(header.AsSpan(0, read), FileKind.Database, path)
                ?? throw new CorruptDataException("the database header is damaged", path, 0);
            var identity = new DatabaseIdentity(parsed.DatabaseId, parsed.Epoch, parsed.PageSize);
            Superblock? newest = null;
            var slot = new byte[parsed.PageSize];
            for (var i = 1; i <= 2; i++)
            {
                read = file.ReadFully((long)i * parsed.PageSize, slot);
                var candidate = Superblock.TryRead(slot.AsSpan(0, read), identity);
                if (candidate is not null && (newest is null || candidate.Checkpoint > newest.Checkpoint))
                {
                    newest = candidate;
                }
            }

            return new DataFile(
                fs, file, path, identity, newest ?? throw new CorruptDataException("neither superblock slot holds a valid superblock", path, parsed.PageSize), parsed.Encrypted);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    public Node LoadNode(long address)
    {
        var page = Pool!.Rent();
        try
        {
            var read = _file.ReadFully(address * _pageSize, page);
            // A sealed page's tag covers every byte and its address: a CRC would check nothing more.
            var whole = read == _pageSize
                && (Cipher is { } cipher ? cipher.OpenPage(page, address) && PageLayout.IsNode(page) : PageLayout.HasValidChecksum(page, address));
            if (!whole || PageLayout.Tail(page) != Tail)
            {
                throw new CorruptDataException($"page {address} fails its checksum", _path, address * _pageSize);
            }
        }
        catch
        {
            Pool.Return(page);
            throw;
        }

        Interlocked.Increment(ref _pagesRead);
        var node = new Node(page, generation: -1) { Address = address, AddressIsFinal = true };
        node.TryChangeDirtiness(Node.Dirty, Node.Clean);
        return node;
    }

    /// <summary>Gives back the buffer of a loaded node nothing refers to (another reader installed the same page first).</summary>
    public void Discard(Node node)
    {
        if (node.TryMarkReturned())
        {
            Pool!.Return(node.Page);
        }
    }

    public void Forget(Node node) => TreeReader.Forget(node, Pool!);

    public byte[] LoadBlob(long address, int length)
    {
        var stored = new byte[BlobHeaderSize + length + Tail];
        var read = _file.ReadFully(address * _pageSize, stored);
        if (read != stored.Length || stored[0] != BlobKind || BinaryPrimitives.ReadInt32LittleEndian(stored.AsSpan(4)) != length
            || (Cipher is { } cipher && !cipher.OpenBlob(stored.AsSpan(BlobHeaderSize), address))
            || BinaryPrimitives.ReadUInt32LittleEndian(stored.AsSpan(8)) != BlobChecksum(address, stored.AsSpan(BlobHeaderSize, length)))
        {
            throw new CorruptDataException($"the value in pages from {address} fails its checksum", _path, address * _pageSize);
        }

        return stored[BlobHeaderSize..(BlobHeaderSize + length)];
    }

    /// <summary>Pages a blob of <paramref name="length"/> bytes takes.</summary>
    public int BlobPages(int length) => BlobPages(length, _pageSize, Tail);

    /// <summary>Pages a blob of <paramref name="length"/> bytes takes with pages of <paramref name="pageSize"/> and <paramref name="tail"/> bytes of seal.</summary>
    public static int BlobPages(int length, int pageSize, int tail) => (BlobHeaderSize + length + tail + pageSize - 1) / pageSize;

    /// <summary>
    /// Makes a node's page image ready to be written at <paramref name="address"/>: sets its
    /// checksum or, in an encrypted database, seals it (the tag is the checksum).
    /// </summary>
    public void FinishPage(Span<byte> image, long address)
    {
        if (Cipher is { } cipher)
        {
            cipher.SealPage(image, address);
        }
        else
        {
            PageLayout.SetChecksum(image, address);
        }
    }

    /// <summary>Reads and checks a page of the persisted free list.</summary>
    public (bool IsBase, long Previous, long[] Added, long[] Removed) ReadFreeListPage(long address)
    {
        var page = new byte[_pageSize];
        var read = _file.ReadFully(address * _pageSize, page);
        return (read == _pageSize ? FreeListPage.TryRead(page, address) : null)
            ?? throw new CorruptDataException($"free-list page {address} fails its checksum", _path, address * _pageSize);
    }

    /// <summary>Writes page images (checksums already set) from <paramref name="address"/> on.</summary>
    public void WritePage(long address, ReadOnlySpan<byte> page)
    {
        _file.Write(address * _pageSize, page);
        Interlocked.Add(ref _bytesWritten, page.Length);
    }

    /// <summary>Starts writing pages just written to the device, so the checkpoint's fdatasync waits for less (a hint; durability still comes from <see cref="Sync"/>).</summary>
    public void StartWriteback(long address, long bytes) => _file.StartWriteback(address * _pageSize, bytes);

    /// <summary>Writes a blob into the <see cref="BlobPages(int)"/> pages from <paramref name="address"/>.</summary>
    public void WriteBlob(long address, byte[] bytes)
    {
        var stored = new byte[BlobPages(bytes.Length) * _pageSize];
        stored[0] = BlobKind;
        BinaryPrimitives.WriteInt32LittleEndian(stored.AsSpan(4), bytes.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(stored.AsSpan(8), BlobChecksum(address, bytes));
        bytes.CopyTo(stored, BlobHeaderSize);
        Cipher?.SealBlob(stored.AsSpan(BlobHeaderSize, bytes.Length + Tail), address);
        _file.Write(address * _pageSize, stored);
        Interlocked.Add(ref _bytesWritten, stored.Length);
    }

    /// <summary>Reads the file's bytes from page <paramref name="address"/> on as they are (a copy of the file); the bytes read.</summary>
    public int ReadPages(long address, Span<byte> destination) => _file.ReadFully(address * _pageSize, destination);

    /// <summary>Makes every page written so far durable.</summary>
    public void Sync() => _file.SyncData();

    /// <summary>Writes and syncs <paramref name="superblock"/> into the slot its checkpoint number picks; it is then the one in force.</summary>
    public void WriteSuperblock(Superblock superblock)
    {
        var page = new byte[_pageSize];
        superblock.Write(page, Identity);
        _file.Write((1 + (superblock.Checkpoint % 2)) * _pageSize, page);
        _file.SyncData();
        Interlocked.Add(ref _bytesWritten, page.Length);
        Superblock = superblock;
    }

    public void Dispose()
    {
        _file.Dispose();
        Cipher?.Dispose();
    }

    private static uint BlobChecksum(long address, ReadOnlySpan<byte> bytes) =>
        Crc32C.Finish(Crc32C.Append(Crc32C.Append(Crc32C.Seed, (ulong)address), bytes));
}
