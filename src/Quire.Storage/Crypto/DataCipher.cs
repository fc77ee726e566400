using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Quire.Storage.Crypto;

/// <summary>
/// Seals what an encrypted database writes, with AES-256-GCM under keys derived from its
/// data key (HKDF-SHA256: one for pages and values, one for log records, so their nonces
/// never meet). Nonces are never reused under one key:
/// <list type="bullet">
/// <item>a page or value takes a random 8-byte prefix drawn when the database opens and a
/// 4-byte counter (a new prefix every 2^32 seals), stored with it;</item>
/// <item>a log record takes a random 4-byte salt drawn when the database opens, stored in
/// its frame, and its first seq: seqs only repeat after a crash cut a record that was never
/// acknowledged, and then under another salt.</item>
/// </list>
/// Associated data binds each to its place: the database's UUID, the kind, and the page
/// address or the record's seq and op count; a page, value or record moved elsewhere, or
/// into another database, fails its tag. Thread-safe (one AES instance per thread).
/// </summary>
internal sealed class DataCipher : IDisposable
{
    /// <summary>Bytes a sealed page keeps at its end, and a sealed value after it: nonce, tag, and 4 spare.</summary>
    public const int Reserve = 32;

    /// <summary>Bytes a sealed log record adds to its payload: the tag.</summary>
    public const int RecordOverhead = TagSize;

    private const int NonceSize = 12;
    private const int TagSize = 16;
    private const byte PageKind = 1;
    private const byte BlobKind = 2;
    private const byte RecordKind = 3;
    private const byte ExternalKind = 4;

    private readonly byte[] _databaseId = new byte[16];
    private readonly ThreadLocal<AesGcm> _pages;
    private readonly ThreadLocal<AesGcm> _records;
    private readonly byte[] _externalKey;
    private readonly Lock _nonceLock = new();
    private ulong _noncePrefix = RandomPrefix();
    private uint _nonceCounter;

    public DataCipher(ReadOnlySpan<byte> dataKey, Guid databaseId)
    {
        databaseId.TryWriteBytes(_databaseId);
        var pageKey = HKDF.DeriveKey(HashAlgorithmName.SHA256, dataKey.ToArray(), 32, _databaseId, Encoding.ASCII.GetBytes("quire pages"));
        var recordKey = HKDF.DeriveKey(HashAlgorithmName.SHA256, dataKey.ToArray(), 32, _databaseId, Encoding.ASCII.GetBytes("quire log records"));
        _pages = new ThreadLocal<AesGcm>(() => new AesGcm(pageKey, TagSize), trackAllValues: true);
        _records = new ThreadLocal<AesGcm>(() => new AesGcm(recordKey, TagSize), trackAllValues: true);
        _externalKey = HKDF.DeriveKey(HashAlgorithmName.SHA256, dataKey.ToArray(), 32, _databaseId, Encoding.ASCII.GetBytes("quire external objects"));
        RecordSalt = BitConverter.ToUInt32(RandomNumberGenerator.GetBytes(4));
    }

    /// <summary>
    /// Seals bytes the database keeps outside itself (its archive's objects) under a key of
    /// their own: <c>nonce (12, random: such objects have no place to count from) || ciphertext
    /// || tag</c>, the associated data binding the database's UUID and <paramref name="context"/>
    /// (the object's name), so an object renamed, or taken from another database, fails.
    /// </summary>
    public byte[] SealExternal(ReadOnlySpan<byte> plain, string context)
    {
        var sealedBytes = new byte[NonceSize + plain.Length + TagSize];
        RandomNumberGenerator.Fill(sealedBytes.AsSpan(0, NonceSize));
        using var aes = new AesGcm(_externalKey, TagSize);
        aes.Encrypt(sealedBytes.AsSpan(0, NonceSize), plain, sealedBytes.AsSpan(NonceSize, plain.Length), sealedBytes.AsSpan(NonceSize + plain.Length), ExternalAssociated(context));
        return sealedBytes;
    }

    /// <summary>Opens what <see cref="SealExternal"/> sealed with the same <paramref name="context"/>; null when it fails its tag.</summary>
    public byte[]? OpenExternal(ReadOnlySpan<byte> sealedBytes, string context)
    {
        if (sealedBytes.Length < NonceSize + TagSize)
        {
            return null;
        }

        var plain = new byte[sealedBytes.Length - NonceSize - TagSize];
        using var aes = new AesGcm(_externalKey, TagSize);
        try
        {
            aes.Decrypt(sealedBytes[..NonceSize], sealedBytes.Slice(NonceSize, plain.Length), sealedBytes[^TagSize..], plain, ExternalAssociated(context));
            return plain;
        }
        catch (AuthenticationTagMismatchException)
        {
            return null;
        }
    }

    private byte[] ExternalAssociated(string context) => [.. _databaseId, ExternalKind, .. Encoding.UTF8.GetBytes(context)];

    /// <summary>The salt of the records this process writes.</summary>
    public uint RecordSalt { get; }

    /// <summary>Seals a page image in place: its bytes up to the reserve are encrypted, nonce and tag go into the reserve.</summary>
    public void SealPage(Span<byte> page, long address) => Seal(page, page.Length - Reserve, PageKind, address);

    /// <summary>Opens a page read from <paramref name="address"/> in place; false when it fails its tag.</summary>
    public bool OpenPage(Span<byte> page, long address) => Open(page, page.Length - Reserve, PageKind, address);

    /// <summary>Seals a value stored from <paramref name="address"/>: <paramref name="stored"/> holds it and then <see cref="Reserve"/> bytes.</summary>
    public void SealBlob(Span<byte> stored, long address) => Seal(stored, stored.Length - Reserve, BlobKind, address);

    /// <summary>Opens a value stored from <paramref name="address"/>; false when it fails its tag.</summary>
    public bool OpenBlob(Span<byte> stored, long address) => Open(stored, stored.Length - Reserve, BlobKind, address);

    /// <summary>Encrypts a record's payload into <paramref name="destination"/> (payload length + <see cref="RecordOverhead"/> bytes). Hot path.</summary>
    public void SealRecord(ReadOnlySpan<byte> payload, Span<byte> destination, long firstSeq, int opCount)
    {
        Span<byte> nonce = stackalloc byte[NonceSize];
        Span<byte> associated = stackalloc byte[16 + 1 + 12];
        RecordNonce(nonce, RecordSalt, firstSeq);
        RecordAssociated(associated, firstSeq, opCount);
        _records.Value!.Encrypt(nonce, payload, destination[..payload.Length], destination.Slice(payload.Length, TagSize), associated);
    }

    /// <summary>Decrypts a sealed record's payload into <paramref name="destination"/>; false when it fails its tag.</summary>
    public bool OpenRecord(ReadOnlySpan<byte> sealedPayload, Span<byte> destination, uint salt, long firstSeq, int opCount)
    {
        if (sealedPayload.Length < TagSize)
        {
            return false;
        }

        Span<byte> nonce = stackalloc byte[NonceSize];
        Span<byte> associated = stackalloc byte[16 + 1 + 12];
        RecordNonce(nonce, salt, firstSeq);
        RecordAssociated(associated, firstSeq, opCount);
        var length = sealedPayload.Length - TagSize;
        try
        {
            _records.Value!.Decrypt(nonce, sealedPayload[..length], sealedPayload[length..], destination[..length], associated);
            return true;
        }
        catch (AuthenticationTagMismatchException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        foreach (var aes in _pages.Values.Concat(_records.Values))
        {
            aes.Dispose();
        }

        _pages.Dispose();
        _records.Dispose();
    }

    private void Seal(Span<byte> bytes, int length, byte kind, long address)
    {
        var nonce = bytes.Slice(length, NonceSize);
        NextPageNonce(nonce);
        Span<byte> associated = stackalloc byte[16 + 1 + 8];
        PageAssociated(associated, kind, address);
        _pages.Value!.Encrypt(nonce, bytes[..length], bytes[..length], bytes.Slice(length + NonceSize, TagSize), associated);
    }

    private bool Open(Span<byte> bytes, int length, byte kind, long address)
    {
        if (length < 0)
        {
            return false;
        }

        Span<byte> associated = stackalloc byte[16 + 1 + 8];
        PageAssociated(associated, kind, address);
        try
        {
            _pages.Value!.Decrypt(bytes.Slice(length, NonceSize), bytes[..length], bytes.Slice(length + NonceSize, TagSize), bytes[..length], associated);
            return true;
        }
        catch (AuthenticationTagMismatchException)
        {
            return false;
        }
    }

    private void NextPageNonce(Span<byte> nonce)
    {
        ulong prefix;
        uint counter;
        lock (_nonceLock)
        {
            if (_nonceCounter == uint.MaxValue)
            {
                (_noncePrefix, _nonceCounter) = (RandomPrefix(), 0);
            }

            (prefix, counter) = (_noncePrefix, _nonceCounter++);
        }

        BinaryPrimitives.WriteUInt64LittleEndian(nonce, prefix);
        BinaryPrimitives.WriteUInt32LittleEndian(nonce[8..], counter);
    }

    private void PageAssociated(Span<byte> associated, byte kind, long address)
    {
        _databaseId.CopyTo(associated);
        associated[16] = kind;
        BinaryPrimitives.WriteInt64LittleEndian(associated[17..], address);
    }

    private void RecordAssociated(Span<byte> associated, long firstSeq, int opCount)
    {
        _databaseId.CopyTo(associated);
        associated[16] = RecordKind;
        BinaryPrimitives.WriteInt64LittleEndian(associated[17..], firstSeq);
        BinaryPrimitives.WriteInt32LittleEndian(associated[25..], opCount);
    }

    private static void RecordNonce(Span<byte> nonce, uint salt, long firstSeq)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(nonce, salt);
        BinaryPrimitives.WriteInt64LittleEndian(nonce[4..], firstSeq);
    }

    private static ulong RandomPrefix() => BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(8));
}
