using System.Buffers.Binary;

namespace Quire.Storage.Format;

/// <summary>
/// The header at the start of every Quire file: magic, format version, page size,
/// database UUID, epoch, a per-file id (a log segment's first seq) and flags, with a CRC.
/// It fills the first <see cref="Size"/> bytes so what follows stays page-aligned.
/// Format 1 is a plaintext database; format 2 one whose pages and records are sealed
/// (<see cref="Encrypted"/>), so a build from before encryption refuses it instead of
/// reading ciphertext as pages.
/// </summary>
public readonly record struct FileHeader(
    FileKind Kind, int FormatVersion, int PageSize, Guid DatabaseId, ulong Epoch, long FileId)
{
    /// <summary>Bytes reserved for the header at the start of a file.</summary>
    public const int Size = 4096;

    /// <summary>The format of plaintext databases and of every log segment.</summary>
    public const int CurrentFormatVersion = 1;

    /// <summary>The format of an encrypted database's data file.</summary>
    public const int EncryptedFormatVersion = 2;

    /// <summary>The newest data file format this build reads (log segments: <see cref="CurrentFormatVersion"/>). A newer one is refused, never misread.</summary>
    public const int NewestFormatVersion = EncryptedFormatVersion;

    /// <summary>Whether the database's pages and log records are sealed with its data key (data file headers only).</summary>
    public bool Encrypted { get; init; }

    private const int EncodedLength = 64;
    private static ReadOnlySpan<byte> MagicPrefix => "QUIRE\0\0"u8;

    /// <summary>Writes the header into the first bytes of <paramref name="destination"/>.</summary>
    public void Write(Span<byte> destination)
    {
        var d = destination[..EncodedLength];
        d.Clear();
        MagicPrefix.CopyTo(d);
        d[7] = (byte)Kind;
        BinaryPrimitives.WriteInt32LittleEndian(d[8..], FormatVersion);
        BinaryPrimitives.WriteInt32LittleEndian(d[12..], PageSize);
        DatabaseId.TryWriteBytes(d[16..32]);
        BinaryPrimitives.WriteUInt64LittleEndian(d[32..], Epoch);
        BinaryPrimitives.WriteInt64LittleEndian(d[40..], FileId);
        d[48] = Encrypted ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteUInt32LittleEndian(d[60..], Crc32C.Compute(d[..60]));
    }

    /// <summary>
    /// Reads a header. Returns null when the bytes are not a valid header (torn or
    /// never written); throws <see cref="IncompatibleFormatException"/> when they are a
    /// valid header of another kind or of a newer format.
    /// </summary>
    public static FileHeader? TryRead(ReadOnlySpan<byte> source, FileKind expectedKind, string path)
    {
        if (source.Length < EncodedLength)
        {
            return null;
        }

        var s = source[..EncodedLength];
        if (BinaryPrimitives.ReadUInt32LittleEndian(s[60..]) != Crc32C.Compute(s[..60]) || !s[..7].SequenceEqual(MagicPrefix))
        {
            return null;
        }

        var kind = (FileKind)s[7];
        if (kind != expectedKind)
        {
            throw new IncompatibleFormatException($"'{path}' is a {kind} file, expected a {expectedKind} file");
        }

        var version = BinaryPrimitives.ReadInt32LittleEndian(s[8..]);
        var newest = kind == FileKind.Database ? NewestFormatVersion : CurrentFormatVersion;
        if (version > newest)
        {
            throw new IncompatibleFormatException(
                $"'{path}' was written by format version {version}; this build reads up to {newest}. Upgrade Quire to open it.");
        }

        if (version < 1)
        {
            throw new IncompatibleFormatException($"'{path}' has an unknown format version {version}");
        }

        return new FileHeader(
            kind,
            version,
            BinaryPrimitives.ReadInt32LittleEndian(s[12..]),
            new Guid(s[16..32]),
            BinaryPrimitives.ReadUInt64LittleEndian(s[32..]),
            BinaryPrimitives.ReadInt64LittleEndian(s[40..]))
        {
            Encrypted = (s[48] & 1) != 0,
        };
    }

    /// <summary>Throws unless this header belongs to the database described by <paramref name="identity"/>.</summary>
    public void EnsureBelongsTo(DatabaseIdentity identity, string path)
    {
        if (DatabaseId != identity.DatabaseId || Epoch != identity.Epoch)
        {
            throw new IncompatibleFormatException(
                $"'{path}' belongs to database {DatabaseId} epoch {Epoch}, not to this database ({identity.DatabaseId} epoch {identity.Epoch})");
        }

        if (PageSize != identity.PageSize)
        {
            throw new IncompatibleFormatException($"'{path}' has page size {PageSize}, the database has {identity.PageSize}");
        }
    }
}
