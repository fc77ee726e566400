using System.Text.Json.Nodes;
using Quire.Databases;
using Quire.Documents;

namespace Quire.Mongo;

/// <summary>MongoDB-style access to a database's collections (nedbd's <c>mongo</c> route).</summary>
public static class MongoDatabase
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
    public static Task<JsonObject> MongoAsync(this Database db, string collection, string op, JsonObject request, CancellationToken cancellationToken = default)
    {
        Names.CheckCollection(collection);
        ArgumentNullException.ThrowIfNull(db);
        return new MongoCommand(db, collection).RunAsync(op, request, cancellationToken);
    }
}
