using Quire.Keys;
using Quire.Storage.Engine;

namespace Quire.Indexes;

/// <summary>
/// Deletes a dropped index's entries, a chunk per commit, then takes its id off the
/// schema's list of indexes being dropped. Nothing writes them any more (writes maintain
/// only the indexes their schema version lists, and a build stops once its index is
/// gone), so the deletes need no conditions. Restarted on open until done.
/// </summary>
internal static class IndexReclaimer
{
    /// <summary>Entries deleted per commit.</summary>
    public const int ChunkSize = 1024;

    public static async Task ReclaimAsync(StorageEngine engine, SchemaCache schemas, string collection, uint indexId, CancellationToken cancellationToken)
    {
        var prefix = Keyspace.Prefix(new KeyBuilder(), collection, indexId).ToArray();
        var end = Keyspace.End(prefix);
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var entries = engine.Scan(prefix, end, limit: ChunkSize);
            if (entries.Count == 0)
            {
                break;
            }

            using var batch = new WriteBatch();
            var op = batch.BeginOp();
            foreach (var entry in entries)
            {
                op.Delete(entry.Key);
            }

            op.End();
            await engine.CommitAsync(batch, cancellationToken: cancellationToken).ConfigureAwait(false);
        }

        await SchemaUpdate.ApplyAsync(engine, schemas, collection, schema => schema.Dropping.Contains(indexId) ? schema.Reclaimed(indexId) : null, cancellationToken).ConfigureAwait(false);
    }
}
