namespace Quire.Keys;

/// <summary>
/// Where each kind of record lives in a database's one ordered keyspace. The first byte
/// says the kind; tuple elements (<see cref="KeyBuilder"/>) follow:
/// <list type="bullet">
/// <item>meta: (0x01, name, ...): collection schemas</item>
/// <item>collections: (0x02, coll, 0, id) for documents, (0x02, coll, indexId, value, id) for index entries,
/// (0x02, coll, indexId, term, number) for search entries and (0x02, coll, 0xFFFFFFFF, number) → id for
/// the numbers they name documents by (<c>SearchNumbers</c>)</item>
/// <item>links: (0x03, frm, rel, to) and the reverse edge (0x04, to, rel, frm)</item>
/// <item>clients: (0x05, client) holding the client's last nonce</item>
/// <item>idempotency keys: (0x06, idem), whose version is the seq of the op that used it</item>
/// <item>expiry: (0x07, expires_at, coll, id) for documents with a TTL</item>
/// <item>op log: (0x08, seq), written by the engine as it links each op into the hash chain</item>
/// <item>files: (0x09, tier, name, version) holding a version's manifest (size, Merkle root, chunk hashes)</item>
/// <item>file chunks: (0x0A, BLAKE2b-256 of the chunk) holding its bytes, shared by every version that has it</item>
/// </list>
/// </summary>
internal static class Keyspace
{
    public const byte Meta = 0x01;
    public const byte Collections = 0x02;
    public const byte LinksOut = 0x03;
    public const byte LinksIn = 0x04;
    public const byte Clients = 0x05;
    public const byte IdempotencyKeys = 0x06;
    public const byte Expiry = 0x07;
    public const byte OpLog = 0x08;
    public const byte Files = 0x09;
    public const byte FileChunks = 0x0A;

    /// <summary>The prefix the engine puts before an op record's seq: with the 8 seq bytes it is the tuple (0x08, Int64 seq).</summary>
    public static readonly byte[] OpLogPrefix = [OpLog, KeyTags.Int64];

    /// <summary>The index id of a collection's documents.</summary>
    public const uint DocumentsId = 0;

    /// <summary>The index id under which a collection's search numbers live (index ids count up from 1).</summary>
    public const uint SearchNumbersId = uint.MaxValue;

    /// <summary>The key of a collection's schema (its index definitions).</summary>
    public static byte[] SchemaKey(string collection) => new KeyBuilder().Byte(Meta).String("schema").String(collection).ToArray();

    /// <summary>The prefix of every schema key.</summary>
    public static byte[] SchemaPrefix() => new KeyBuilder().Byte(Meta).String("schema").ToArray();

    /// <summary>The key of a document.</summary>
    public static KeyBuilder Document(KeyBuilder key, string collection, string id) =>
        key.Clear().Byte(Collections).String(collection).UInt32(DocumentsId).String(id);

    /// <summary>The prefix of a collection's documents (with <paramref name="indexId"/> 0) or of one index's entries.</summary>
    public static KeyBuilder Prefix(KeyBuilder key, string collection, uint indexId) =>
        key.Clear().Byte(Collections).String(collection).UInt32(indexId);

    /// <summary>The key of a link edge as seen from <paramref name="from"/>.</summary>
    public static KeyBuilder Edge(KeyBuilder key, byte direction, string from, string rel, string to) =>
        key.Clear().Byte(direction).String(from).String(rel).String(to);

    /// <summary>The key of a client's last nonce.</summary>
    public static byte[] Client(string client) => new KeyBuilder().Byte(Clients).String(client).ToArray();

    /// <summary>The key recording that an idempotency key was used.</summary>
    public static byte[] Idem(string idem) => new KeyBuilder().Byte(IdempotencyKeys).String(idem).ToArray();

    /// <summary>The expiry entry of a document.</summary>
    public static KeyBuilder ExpiryEntry(KeyBuilder key, long expiresAt, string collection, string id) =>
        key.Clear().Byte(Expiry).Int64(expiresAt).String(collection).String(id);

    /// <summary>The key of a file version's manifest; without a version, the prefix of the file's versions.</summary>
    public static KeyBuilder FileVersion(KeyBuilder key, string tier, string name, long? version = null)
    {
        key.Clear().Byte(Files).String(tier).String(name);
        return version is { } v ? key.Int64(v) : key;
    }

    /// <summary>The key of a file chunk, by its hash.</summary>
    public static byte[] FileChunk(ReadOnlySpan<byte> hash) => new KeyBuilder().Byte(FileChunks).String(Convert.ToHexStringLower(hash)).ToArray();

    /// <summary>The key just past every key that starts with <paramref name="prefix"/>.</summary>
    public static byte[] End(ReadOnlySpan<byte> prefix)
    {
        // Elements never hold a 0xFF as their first byte, so prefix + 0xFF bounds them all.
        var end = new byte[prefix.Length + 1];
        prefix.CopyTo(end);
        end[^1] = 0xFF;
        return end;
    }
}
