using System.Buffers;
using System.Text.Json;
using Quire.Documents;
using Quire.Keys;

namespace Quire.Databases;

/// <summary>
/// Upgrades documents of form 1 to form 2 on open: form 1 wrote <c>_expires_at</c> in epoch
/// milliseconds, form 2 (nedbd's) in epoch seconds. Left alone, a client reading such a
/// document and writing it back would set an expiry a thousand times too far: the document
/// would never expire. Each document with an expiry whose field still holds milliseconds is
/// written again, unchanged but for the unit, by an ordinary put conditional on the version
/// it read (so replicas and the op log follow; its <c>_seq</c> moves). A crash part way
/// leaves the header at form 1, and the next open finishes the job: documents already
/// converted hold seconds and are skipped.
/// </summary>
internal static class ExpiryUnitsUpgrade
{
    private const int BatchSize = 256;

    /// <summary>The client name the upgrade's writes carry in the op log.</summary>
    public const string Client = "quire-upgrade";

    /// <summary>Rewrites every form-1 expiry; returns how many documents it rewrote.</summary>
    public static async Task<int> RunAsync(Database database, CancellationToken cancellationToken)
    {
        var key = new KeyBuilder();
        byte[] from = [Keyspace.Expiry];
        byte[] end = [Keyspace.Expiry + 1];
        var rewritten = 0;
        while (true)
        {
            var entries = database.Engine.Scan(from, end, limit: BatchSize);
            if (entries.Count == 0)
            {
                return rewritten;
            }

            var ops = new List<DocumentOp>();
            foreach (var entry in entries)
            {
                var reader = new KeyReader(entry.Key);
                reader.Byte();
                reader.Int64();
                var collection = reader.String();
                var id = reader.String();
                if (database.Engine.TryGetVersioned(Keyspace.Document(key, collection, id).Span, out var stored)
                    && stored.Value is { } value
                    && DocumentCodec.ExpiresAt(value) is { } expiresAtMs
                    && Upgraded(value, expiresAtMs) is { } document)
                {
                    ops.Add(DocumentOp.Put(collection, id, document, ifSeq: stored.Version));
                }
            }

            if (ops.Count > 0)
            {
                await database.BatchAsync(ops, new BatchOptions { Client = Client }, cancellationToken).ConfigureAwait(false);
                rewritten += ops.Count;
            }

            from = Keyspace.End(entries[^1].Key);
        }
    }

    /// <summary>The document with <c>_expires_at</c> in seconds, or null when its field is not form 1's milliseconds.</summary>
    private static JsonElement? Upgraded(byte[] stored, long expiresAtMs)
    {
        using var document = JsonDocument.Parse(DocumentCodec.Json(stored));
        var root = document.RootElement;
        if (!root.TryGetProperty("_expires_at", out var field) || !field.TryGetInt64(out var written) || written != expiresAtMs)
        {
            return null;
        }

        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var property in root.EnumerateObject())
            {
                if (!property.NameEquals("_id") && !property.NameEquals("_expires_at"))
                {
                    property.WriteTo(writer);
                }
            }

            DocumentCodec.WriteExpiresAt(writer, expiresAtMs);
            writer.WriteEndObject();
        }

        using var upgraded = JsonDocument.Parse(buffer.WrittenMemory);
        return upgraded.RootElement.Clone();
    }
}
