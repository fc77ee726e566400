using Quire.Documents;
using Quire.Keys;
using Quire.Storage.Engine;
using System.Text.Json;

namespace Quire.Indexes;

/// <summary>
/// Adds the documents written before an index was defined. Writes maintain the index from
/// its definition on; the builder walks the collection (a fresh snapshot per chunk, so no
/// snapshot lives long) and inserts a document's entries only on condition that the
/// document still has the version it read. A document changed meanwhile was indexed by
/// the write that changed it, so it is skipped: never indexed twice or stale. Then the
/// definition is marked ready and queries may use it.
/// </summary>
internal sealed class IndexBuilder
{
    /// <summary>Documents read per snapshot and committed per batch.</summary>
    public const int ChunkSize = 512;

    private readonly StorageEngine _engine;
    private readonly SchemaCache _schemas;

    public IndexBuilder(StorageEngine engine, SchemaCache schemas)
    {
        _engine = engine;
        _schemas = schemas;
    }

    public async Task BuildAsync(string collection, uint indexId, CancellationToken cancellationToken)
    {
        var key = new KeyBuilder();
        var prefix = Keyspace.Prefix(key, collection, Keyspace.DocumentsId).ToArray();
        var end = Keyspace.End(prefix);
        var from = prefix;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var chunk = new List<(byte[] Key, long Version, List<byte[]> Entries)>(ChunkSize);
            IndexDefinition? index;
            var resumeFrom = from;
            try
            {
                using var snapshot = _engine.OpenSnapshot();
                index = _schemas.Read(snapshot, collection).Indexes.FirstOrDefault(i => i.Id == indexId);
                if (index is null || index.Ready)
                {
                    return;
                }

                foreach (var entry in snapshot.Scan(from, end))
                {
                    if (chunk.Count == ChunkSize)
                    {
                        break;
                    }

                    chunk.Add((entry.Key, entry.Version, EntriesOf(collection, entry, index, key)));
                    from = entry.Key;
                }
            }
            catch (SnapshotExpiredException)
            {
                // Writers replaced a lot while the chunk was read: read it again from a fresh snapshot.
                from = resumeFrom;
                continue;
            }

            await InsertAsync(chunk, cancellationToken).ConfigureAwait(false);
            if (chunk.Count < ChunkSize)
            {
                break;
            }

            from = Successor(from);
        }

        await MarkReadyAsync(collection, indexId, cancellationToken).ConfigureAwait(false);
    }

    private static List<byte[]> EntriesOf(string collection, StoredEntry entry, IndexDefinition index, KeyBuilder key)
    {
        var reader = new KeyReader(entry.Key);
        reader.Byte();
        reader.Skip();
        reader.Skip();
        var id = reader.String();
        using var document = JsonDocument.Parse(DocumentCodec.Json(entry.Value));
        var keys = new HashSet<byte[]>(ByteArrayComparer.Instance);
        IndexEntries.Collect(collection, id, document.RootElement, index, key, keys);
        return [.. keys];
    }

    /// <summary>Commits the chunk's entries, each document's on condition it did not move; moved ones are dropped.</summary>
    private async Task InsertAsync(List<(byte[] Key, long Version, List<byte[]> Entries)> chunk, CancellationToken cancellationToken)
    {
        var pending = chunk.Where(d => d.Entries.Count > 0).ToList();
        while (pending.Count > 0)
        {
            using var batch = new WriteBatch();
            foreach (var (docKey, version, entries) in pending)
            {
                batch.Require(docKey, version);
                var op = batch.BeginOp();
                foreach (var entry in entries)
                {
                    op.Put(entry, []);
                }

                op.End();
            }

            try
            {
                await _engine.CommitAsync(batch, cancellationToken: cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (Storage.Engine.PreconditionFailedException ex)
            {
                var moved = ex.Failures.Select(f => f.OpIndex).ToHashSet();
                pending = pending.Where((_, i) => !moved.Contains(i)).ToList();
            }
        }
    }

    private async Task MarkReadyAsync(string collection, uint indexId, CancellationToken cancellationToken)
    {
        var schemaKey = Keyspace.SchemaKey(collection);
        while (true)
        {
            CollectionSchema schema;
            using (var view = _engine.OpenWriteView())
            {
                schema = _schemas.Read(view, collection, schemaKey);
            }

            if (!schema.Indexes.Any(i => i.Id == indexId && !i.Ready))
            {
                return;
            }

            using var batch = new WriteBatch();
            batch.Require(schemaKey, schema.Version).Put(schemaKey, schema.WithReady(indexId).Serialize());
            try
            {
                await _engine.CommitAsync(batch, cancellationToken: cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (Storage.Engine.PreconditionFailedException)
            {
                // The schema changed (another index defined): read it again.
            }
        }
    }

    /// <summary>The smallest key after <paramref name="key"/>.</summary>
    private static byte[] Successor(byte[] key)
    {
        var next = new byte[key.Length + 1];
        key.CopyTo(next, 0);
        return next;
    }
}
