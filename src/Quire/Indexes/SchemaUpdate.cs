using Quire.Keys;
using Quire.Storage.Engine;

namespace Quire.Indexes;

/// <summary>
/// Changes a collection's schema as a compare-and-swap: reads it from the write view, lets
/// the caller compute the new one, and commits that on condition the schema did not move
/// meanwhile (a write computed against the old version is then refused and recomputed);
/// if it moved, starts again from the latest.
/// </summary>
internal static class SchemaUpdate
{
    /// <param name="engine">The database's engine.</param>
    /// <param name="schemas">Its schema cache.</param>
    /// <param name="collection">The collection.</param>
    /// <param name="change">The new schema for the one read, or null to leave it as it is (nothing is committed).</param>
    /// <param name="cancellationToken">Cancels waiting for the commit queue.</param>
    /// <returns>True when a change was committed.</returns>
    public static async Task<bool> ApplyAsync(StorageEngine engine, SchemaCache schemas, string collection, Func<CollectionSchema, CollectionSchema?> change, CancellationToken cancellationToken)
    {
        var schemaKey = Keyspace.SchemaKey(collection);
        while (true)
        {
            CollectionSchema schema;
            using (var view = engine.OpenWriteView())
            {
                schema = schemas.Read(view, collection, schemaKey);
            }

            if (change(schema) is not { } next)
            {
                return false;
            }

            using var batch = new WriteBatch();
            batch.Require(schemaKey, schema.Version).Put(schemaKey, next.Serialize());
            try
            {
                await engine.CommitAsync(batch, cancellationToken: cancellationToken).ConfigureAwait(false);
                return true;
            }
            catch (KeyPreconditionFailedException)
            {
                // The schema moved (an index defined, dropped or made ready): read it again.
            }
        }
    }
}
