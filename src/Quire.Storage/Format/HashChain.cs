using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Quire.Storage.Format;

/// <summary>
/// The hash chain over chained ops (the engine's <c>WriteBatch.OpBuilder.Chain</c>): each one's
/// hash is SHA-256(previous hash || seq as 8 big-endian bytes || digest), starting from
/// 32 zero bytes. The engine links ops as it applies them, in seq order, stores each
/// op's record under its key prefix followed by its seq, and keeps the head with every
/// published root and in every checkpoint's superblock, so replay continues the chain.
/// </summary>
public static class HashChain
{
    /// <summary>The length of a hash and of a digest.</summary>
    public const int HashSize = 32;

    /// <summary>A stored record: previous hash, hash, digest, then the caller's body.</summary>
    public const int RecordHeaderSize = 3 * HashSize;

    /// <summary>Computes the hash that links <paramref name="digest"/> at <paramref name="seq"/> after <paramref name="previous"/>.</summary>
    public static void Link(ReadOnlySpan<byte> previous, long seq, ReadOnlySpan<byte> digest, Span<byte> hash)
    {
        Span<byte> input = stackalloc byte[HashSize + 8 + HashSize];
        previous.CopyTo(input);
        BinaryPrimitives.WriteInt64BigEndian(input[HashSize..], seq);
        digest.CopyTo(input[(HashSize + 8)..]);
        SHA256.HashData(input, hash);
    }

    /// <summary>Writes a record's key: the prefix, then the seq in the order-preserving form of a signed integer (sign bit flipped, big-endian).</summary>
    public static int RecordKey(ReadOnlySpan<byte> prefix, long seq, Span<byte> key)
    {
        prefix.CopyTo(key);
        BinaryPrimitives.WriteUInt64BigEndian(key[prefix.Length..], (ulong)seq ^ 0x8000_0000_0000_0000UL);
        return prefix.Length + 8;
    }

    /// <summary>The previous hash stored in a record.</summary>
    public static ReadOnlySpan<byte> PreviousOf(ReadOnlySpan<byte> record) => record[..HashSize];

    /// <summary>The hash stored in a record.</summary>
    public static ReadOnlySpan<byte> HashOf(ReadOnlySpan<byte> record) => record.Slice(HashSize, HashSize);

    /// <summary>The digest stored in a record.</summary>
    public static ReadOnlySpan<byte> DigestOf(ReadOnlySpan<byte> record) => record.Slice(2 * HashSize, HashSize);

    /// <summary>The caller's body stored in a record.</summary>
    public static ReadOnlySpan<byte> BodyOf(ReadOnlySpan<byte> record) => record[RecordHeaderSize..];
}
