using System.Text.Json;
using Quire.Documents;
using Quire.Indexes;
using Quire.Keys;
using Quire.Storage.Engine;

namespace Quire.Databases;

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
    private readonly Func<string, long> _searchHome;

    /// <summary>A builder over <paramref name="engine"/>'s collections, whose search number probes start at <paramref name="searchHome"/> (<see cref="DatabaseOptions.SearchHome"/>).</summary>
    public IndexBuilder(StorageEngine engine, SchemaCache schemas, Func<string, long> searchHome)
    {
        _engine = engine;
        _schemas = schemas;
        _searchHome = searchHome;
    }

    public async Task BuildAsync(string collection, uint indexId, CancellationToken cancellationToken)
    {
        using (var snapshot = _engine.OpenSnapshot())
        {
            if (_schemas.Read(snapshot, collection).Indexes.FirstOrDefault(i => i.Id == indexId) is not { Ready: false } definition)
            {
                return;
            }

            if (definition.Kind == IndexKind.Search)
            {
                await DeleteFormat1EntriesAsync(collection, indexId, cancellationToken).ConfigureAwait(false);
            }
        }

        var key = new KeyBuilder();
        var prefix = Keyspace.Prefix(key, collection, Keyspace.DocumentsId).ToArray();
        var end = Keyspace.End(prefix);
        var from = prefix;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var chunk = new List<StoredEntry>(ChunkSize);
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

                    chunk.Add(entry);
                    from = entry.Key;
                }
            }
            catch (SnapshotExpiredException)
            {
                // Writers replaced a lot while the chunk was read: read it again from a fresh snapshot.
                from = resumeFrom;
                continue;
            }

            await InsertAsync(collection, index, chunk, cancellationToken).ConfigureAwait(false);
            if (chunk.Count < ChunkSize)
            {
                break;
            }

            from = Successor(from);
        }

        await MarkReadyAsync(collection, indexId, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Commits the chunk's entries, each document's on condition it did not move (moved ones
    /// are dropped); a search index's also on the number slots they were computed from.
    /// When any condition fails, the whole chunk is computed again against the latest state.
    /// </summary>
    private async Task InsertAsync(string collection, IndexDefinition index, List<StoredEntry> chunk, CancellationToken cancellationToken)
    {
        var key = new KeyBuilder();
        var entries = new HashSet<byte[]>(ByteArrayComparer.Instance);
        while (true)
        {
            using var batch = new WriteBatch();
            using (var view = _engine.OpenWriteView())
            {
                // Pinned to the schema: an index dropped meanwhile gets no entries its reclaim would miss.
                var schemaKey = Keyspace.SchemaKey(collection);
                var schema = _schemas.Read(view, collection, schemaKey);
                if (!schema.Indexes.Any(i => i.Id == index.Id))
                {
                    return;
                }

                batch.Require(schemaKey, schema.Version);
                var numbers = new SearchNumbers(_searchHome, (slot, version) => batch.Require(slot, version));
                foreach (var document in chunk)
                {
                    if (!view.TryGetVersioned(document.Key, out var now) || now.Version != document.Version)
                    {
                        continue; // written since it was read: that write indexed it
                    }

                    var id = IdOf(document.Key);
                    var (number, held) = (0L, false);
                    using var parsed = JsonDocument.Parse(DocumentCodec.Json(document.Value));
                    entries.Clear();
                    IndexEntries.Collect(collection, id, number, parsed.RootElement, index, key, entries);
                    if (entries.Count == 0)
                    {
                        continue;
                    }

                    if (index.Kind == IndexKind.Search)
                    {
                        // Only a document with terms takes a number (and pins the slots it probed).
                        number = numbers.Find(view, collection, id, out held);
                        entries.Clear();
                        IndexEntries.Collect(collection, id, number, parsed.RootElement, index, key, entries);
                    }

                    batch.Require(document.Key, document.Version);
                    var op = batch.BeginOp();
                    if (index.Kind == IndexKind.Search && !held)
                    {
                        numbers.Claim(op, collection, id, number);
                    }

                    foreach (var entry in entries)
                    {
                        op.Put(entry, []);
                    }

                    op.End();
                }
            }

            if (batch.OpCount == 0)
            {
                return;
            }

            try
            {
                await _engine.CommitAsync(batch, cancellationToken: cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (KeyPreconditionFailedException)
            {
                // A document moved or a number slot was taken meanwhile: compute the chunk again.
            }
        }
    }

    /// <summary>
    /// Deletes a search index's format-1 entries (see <see cref="CollectionSchema.SearchPostingsFormat"/>),
    /// told from format 2 by their last element: the document's id, a string, where format 2
    /// has a number. Nothing writes format 1 any more, so the deletes need no conditions.
    /// </summary>
    private async Task DeleteFormat1EntriesAsync(string collection, uint indexId, CancellationToken cancellationToken)
    {
        var prefix = Keyspace.Prefix(new KeyBuilder(), collection, indexId).ToArray();
        var end = Keyspace.End(prefix);
        var from = prefix;
        var done = false;
        while (!done)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var stale = new List<byte[]>();
            var resumeFrom = from;
            try
            {
                using var snapshot = _engine.OpenSnapshot();
                using var entries = snapshot.Cursor(from, end);
                done = true;
                while (entries.MoveNext())
                {
                    if (stale.Count == ChunkSize)
                    {
                        done = false;
                        break;
                    }

                    var reader = new KeyReader(entries.Key, prefix.Length);
                    reader.Skip();   // the term
                    if (entries.Key[reader.Position] == KeyTags.String)
                    {
                        stale.Add(entries.Key.ToArray());
                    }

                    from = Successor(entries.Key.ToArray());
                }
            }
            catch (SnapshotExpiredException)
            {
                from = resumeFrom;
                done = false;
                continue;
            }

            if (stale.Count > 0)
            {
                using var batch = new WriteBatch();
                var op = batch.BeginOp();
                foreach (var entry in stale)
                {
                    op.Delete(entry);
                }

                op.End();
                await _engine.CommitAsync(batch, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>The id of the document whose key is <paramref name="documentKey"/>.</summary>
    private static string IdOf(byte[] documentKey)
    {
        var reader = new KeyReader(documentKey);
        reader.Byte();
        reader.Skip();
        reader.Skip();
        return reader.String();
    }

    private Task<bool> MarkReadyAsync(string collection, uint indexId, CancellationToken cancellationToken) =>
        SchemaUpdate.ApplyAsync(_engine, _schemas, collection, schema => schema.Indexes.Any(i => i.Id == indexId && !i.Ready) ? schema.WithReady(indexId) : null, cancellationToken);

    /// <summary>The smallest key after <paramref name="key"/>.</summary>
    private static byte[] Successor(byte[] key)
    {
        var next = new byte[key.Length + 1];
        key.CopyTo(next, 0);
        return next;
    }
}
