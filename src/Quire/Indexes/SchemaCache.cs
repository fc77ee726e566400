using System.Collections.Concurrent;
using Quire.Keys;
using Quire.Storage.Engine;

namespace Quire.Indexes;

/// <summary>
/// Parsed collection schemas, keyed by collection and checked against the schema key's
/// version on every use, so a reader of any root gets that root's schema and parsing
/// happens once per change.
/// </summary>
internal sealed class SchemaCache
{
    private readonly ConcurrentDictionary<string, CollectionSchema> _parsed = new(StringComparer.Ordinal);

    /// <summary>The schema of <paramref name="collection"/> as <paramref name="view"/> holds it.</summary>
    public CollectionSchema Read(Snapshot view, string collection) => Read(view, collection, Keyspace.SchemaKey(collection));

    /// <summary>The schema of <paramref name="collection"/> as <paramref name="view"/> holds it, given its key.</summary>
    public CollectionSchema Read(Snapshot view, string collection, byte[] schemaKey)
    {
        if (!view.TryGetVersioned(schemaKey, out var stored) || stored.Value is null)
        {
            return CollectionSchema.Empty;
        }

        if (_parsed.TryGetValue(collection, out var cached) && cached.Version == stored.Version)
        {
            return cached;
        }

        var schema = CollectionSchema.Parse(stored.Version, stored.Value);
        _parsed[collection] = schema;
        return schema;
    }
}
