using System.Text.Json.Nodes;
using Quire.Documents;
using Quire.Keys;
using Quire.Mongo;

namespace Quire.Databases;

/// <summary>MongoDB-style access to a collection (nedbd's <c>mongo</c> route), and the scan it reads through.</summary>
public sealed partial class Database
{
    /// <summary>
    /// Runs a MongoDB-style op on <paramref name="collection"/>: <c>find</c> (filter, sort,
    /// skip, limit), <c>findOne</c>, <c>count</c>, <c>distinct</c> (key, filter),
    /// <c>aggregate</c> (pipeline), <c>insertOne</c> (document), <c>updateOne</c> /
    /// <c>updateMany</c> (filter, update, upsert), <c>replaceOne</c> (filter, replacement,
    /// upsert), <c>deleteOne</c> / <c>deleteMany</c> (filter). Returns nedbd's result shape
    /// (docs/http.md); writes are ordinary atomic commits.
    /// </summary>
    /// <exception cref="MongoException">An unknown op, operator or stage, a malformed request, a duplicate <c>_id</c>; nothing changed.</exception>
    public Task<JsonObject> MongoAsync(string collection, string op, JsonObject request, CancellationToken cancellationToken = default)
    {
        Names.CheckCollection(collection);
        return new MongoCommand(this, collection).RunAsync(op, request, cancellationToken);
    }

    /// <summary>Every document of <paramref name="collection"/> in id order, from one snapshot (expired ones left out).</summary>
    public IEnumerable<Document> Scan(string collection)
    {
        Names.CheckCollection(collection);
        var prefix = Keyspace.Prefix(new KeyBuilder(), collection, Keyspace.DocumentsId).ToArray();
        var nowMs = NowMs;
        using var snapshot = Engine.OpenSnapshot();
        foreach (var entry in snapshot.Scan(prefix, Keyspace.End(prefix)))
        {
            if (DocumentCodec.IsExpired(entry.Value, nowMs))
            {
                continue;
            }

            var reader = new KeyReader(entry.Key, prefix.Length);
            var id = reader.String();
            yield return new Document(collection, id, entry.Version, DocumentCodec.WithSeq(entry.Value, entry.Version));
        }
    }
}
