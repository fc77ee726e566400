using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Quire.Documents;
using Quire.Keys;
using Quire.OpLog;
using Quire.Storage.Engine;

namespace Quire.Files;

/// <summary>
/// Versioned files in a database's keyspace (nedbd's <c>files</c>). A version is one atomic
/// commit: its chunks not yet stored (chunks are content-addressed, so versions and files
/// share them), its manifest (size, Merkle root, chunk hashes) and a <c>put_file</c> op in
/// the op log. Two writers of the same file get consecutive versions.
/// </summary>
internal static class FileStore
{
    /// <summary>The tiers nedbd has; Quire stores both alike (uncompressed).</summary>
    public static readonly string[] Tiers = ["warm", "cold"];

    private const int MaxNameBytes = 256;

    public static async Task<StoredFile> PutAsync(StorageEngine engine, string name, string tier, byte[] data, long maxBytes, long nowMs, CancellationToken cancellationToken)
    {
        Check(name, tier);
        if (data.Length > maxBytes)
        {
            throw new FileTooLargeException(data.Length, maxBytes);
        }

        var chunks = GearChunker.Chunks(data);
        var leaves = chunks.Select(c => MerkleRoot.Leaf(data.AsSpan(c.Start, c.Length))).ToList();
        var root = Convert.ToHexStringLower(MerkleRoot.Of(leaves));
        var key = new KeyBuilder();
        while (true)
        {
            using var batch = new WriteBatch();
            long version;
            using (var view = engine.OpenWriteView())
            {
                var prefix = Keyspace.FileVersion(key, tier, name).ToArray();
                var latest = view.Scan(prefix, Keyspace.End(prefix), reverse: true).FirstOrDefault();
                version = latest is null ? 0 : new KeyReader(latest.Key, prefix.Length).Int64() + 1;
                var versionKey = Keyspace.FileVersion(key, tier, name, version).ToArray();
                batch.Require(versionKey, WriteBatch.Absent);
                var op = batch.BeginOp();
                var written = new HashSet<string>(StringComparer.Ordinal);
                for (var i = 0; i < chunks.Count; i++)
                {
                    var chunkKey = Keyspace.FileChunk(leaves[i]);
                    if (written.Add(Convert.ToHexStringLower(leaves[i])) && view.Get(chunkKey) is null)
                    {
                        op.Put(chunkKey, data.AsSpan(chunks[i].Start, chunks[i].Length));
                    }
                }

                op.Put(versionKey, Manifest(data.Length, root, leaves));
                var body = new ArrayBufferWriter<byte>(256);
                OpRecordBody.BuildFile(name, tier, version, root, data.Length, nowMs, body);
                op.Chain(Keyspace.OpLogPrefix, SHA256.HashData(body.WrittenSpan), body.WrittenSpan);
                op.End();
            }

            try
            {
                await engine.CommitAsync(batch, cancellationToken: cancellationToken).ConfigureAwait(false);
                return new StoredFile(name, tier, version, data.Length, root);
            }
            catch (KeyPreconditionFailedException)
            {
                // Another writer took this version: take the next.
            }
        }
    }

    /// <summary>The version (the latest when null) with its bytes, or null when there is no such file or version.</summary>
    public static StoredFile? Get(Snapshot snapshot, string name, string tier, long? version)
    {
        Check(name, tier);
        var key = new KeyBuilder();
        var prefix = Keyspace.FileVersion(key, tier, name).ToArray();
        StoredEntry? entry = version is { } wanted
            ? (snapshot.TryGetVersioned(Keyspace.FileVersion(key, tier, name, wanted).Span, out var found) && found.Value is { } value ? new StoredEntry(Keyspace.FileVersion(key, tier, name, wanted).ToArray(), value, found.Version) : null)
            : snapshot.Scan(prefix, Keyspace.End(prefix), reverse: true).FirstOrDefault();
        if (entry is null)
        {
            return null;
        }

        using var manifest = JsonDocument.Parse(entry.Value);
        var size = manifest.RootElement.GetProperty("size").GetInt64();
        var data = new byte[size];
        var at = 0;
        foreach (var chunk in manifest.RootElement.GetProperty("chunks").EnumerateArray())
        {
            var bytes = snapshot.Get(Keyspace.FileChunk(Convert.FromHexString(chunk.GetString()!)))
                ?? throw new InvalidDataException($"file {name} version {version} names a chunk the database lacks");
            bytes.CopyTo(data, at);
            at += bytes.Length;
        }

        return new StoredFile(name, tier, new KeyReader(entry.Key, prefix.Length).Int64(), size, manifest.RootElement.GetProperty("root").GetString()!, data);
    }

    private static byte[] Manifest(long size, string root, List<byte[]> leaves)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteNumber("size", size);
            writer.WriteString("root", root);
            writer.WriteStartArray("chunks");
            foreach (var leaf in leaves)
            {
                writer.WriteStringValue(Convert.ToHexStringLower(leaf));
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static void Check(string name, string tier)
    {
        if (string.IsNullOrEmpty(name) || Encoding.UTF8.GetByteCount(name) > MaxNameBytes || name.Any(char.IsControl))
        {
            throw new InvalidNameException($"invalid file name: it must be 1 to {MaxNameBytes} bytes of UTF-8 without control characters");
        }

        if (!Tiers.Contains(tier))
        {
            throw new InvalidNameException($"unknown tier '{tier}': warm or cold");
        }
    }
}
