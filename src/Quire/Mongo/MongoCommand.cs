using System.Text.Json;
using System.Text.Json.Nodes;
using Quire.Databases;
using Quire.Documents;
using Quire.Query;

namespace Quire.Mongo;

/// <summary>
/// Runs one MongoDB-style op on a collection (nedbd's <c>mongo</c> route): reads from one
/// snapshot, and writes as ordinary atomic batches, each document conditional on the version
/// it was read at (a write that loses a race is run again from a fresh read), so NQL, the op
/// log and replicas see them like any other write.
/// </summary>
internal sealed class MongoCommand(Database db, string collection)
{
    /// <summary>How often a write op is run again because the documents it read changed meanwhile.</summary>
    private const int MaxAttempts = 16;

    private static readonly BatchOptions Writer = new() { Client = "mongo-compat" };

    public async Task<JsonObject> RunAsync(string op, JsonObject request, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await RunOnceAsync(op, request, cancellationToken).ConfigureAwait(false);
            }
            catch (PreconditionFailedException) when (attempt < MaxAttempts && op != "insertOne")
            {
                // A document it read changed before the write: read again and redo.
            }
        }
    }

    private async Task<JsonObject> RunOnceAsync(string op, JsonObject request, CancellationToken cancellationToken)
    {
        var filter = new MongoFilter(request["filter"]);
        switch (op)
        {
            case "find":
                var rows = MongoAggregate.Sort(Find(filter), request["sort"]);
                var skip = Integer(request["skip"], "skip");
                var limit = Integer(request["limit"], "limit");
                var page = rows.Skip(skip).Take(limit == 0 ? int.MaxValue : limit).ToList();
                return new JsonObject { ["rows"] = new JsonArray([.. page]), ["count"] = page.Count };
            case "findOne":
                return new JsonObject { ["doc"] = Find(filter, one: true).FirstOrDefault() };
            case "count":
                return new JsonObject { ["count"] = Find(filter).Count };
            case "distinct":
                var key = request["key"] is { } k && MongoValues.Kind(k) == JsonValueKind.String ? k.GetValue<string>() : "_id";
                var values = new List<JsonNode?>();
                foreach (var row in Find(filter))
                {
                    var value = MongoValues.Get(row, key, out var found);
                    foreach (var item in !found ? [] : value is JsonArray array ? array.ToList() : [value])
                    {
                        if (!values.Any(v => MongoValues.Equal(v, item)))
                        {
                            values.Add(item?.DeepClone());
                        }
                    }
                }

                return new JsonObject { ["values"] = new JsonArray([.. values]) };
            case "aggregate":
                var result = MongoAggregate.Run(Find(new MongoFilter(null)), request["pipeline"] ?? new JsonArray());
                return new JsonObject { ["rows"] = new JsonArray([.. result]), ["count"] = result.Count };
            case "insertOne":
                return await InsertAsync(request["document"], cancellationToken).ConfigureAwait(false);
            case "updateOne" or "updateMany" or "replaceOne":
                return await UpdateAsync(op, filter, request, cancellationToken).ConfigureAwait(false);
            case "deleteOne" or "deleteMany":
                var doomed = Find(filter, one: op == "deleteOne");
                if (doomed.Count > 0)
                {
                    await WriteAsync(doomed.Select(d => DocumentOp.Delete(collection, IdOf(d), ifSeq: SeqOf(d))).ToList(), cancellationToken).ConfigureAwait(false);
                }

                return new JsonObject { ["deletedCount"] = doomed.Count };
            default:
                throw new MongoException($"unknown mongo op: '{op}'");
        }
    }

    private async Task<JsonObject> InsertAsync(JsonNode? document, CancellationToken cancellationToken)
    {
        if (document is not JsonObject given)
        {
            throw new MongoException("insertOne needs a document object");
        }

        var id = given["_id"] is { } idNode && MongoValues.Kind(idNode) != JsonValueKind.Null ? IdText(idNode) : MongoValues.NewObjectId();
        try
        {
            await WriteAsync([Put(id, given, ifSeq: -1)], cancellationToken).ConfigureAwait(false);
        }
        catch (PreconditionFailedException)
        {
            throw new MongoException($"E11000 duplicate key error: _id '{id}' already exists");
        }

        return new JsonObject { ["insertedId"] = id, ["acknowledged"] = true };
    }

    private async Task<JsonObject> UpdateAsync(string op, MongoFilter filter, JsonObject request, CancellationToken cancellationToken)
    {
        var replacing = op == "replaceOne";
        var update = request[replacing ? "replacement" : "update"] as JsonObject ?? throw new MongoException($"{op} needs {(replacing ? "a replacement" : "an update")} object");
        if (replacing && update.Any(p => p.Key.StartsWith('$')))
        {
            throw new MongoException("replace_one requires a replacement document (no update operators).");
        }

        var upsert = request["upsert"] is { } u && MongoValues.Kind(u) == JsonValueKind.True;
        var targets = Find(filter, one: op != "updateMany");
        if (targets.Count == 0)
        {
            if (!upsert)
            {
                return UpdateResult(0, 0, null);
            }

            var seed = replacing ? [] : MongoUpdate.Seed(filter.Source);
            var inserted = MongoUpdate.Apply(seed, update, inserting: true);
            var id = inserted["_id"] is { } given && MongoValues.Kind(given) != JsonValueKind.Null ? IdText(given) : filter.PinnedId ?? MongoValues.NewObjectId();
            await WriteAsync([Put(id, inserted, ifSeq: -1)], cancellationToken).ConfigureAwait(false);
            return UpdateResult(0, 0, id);
        }

        var ops = new List<DocumentOp>();
        foreach (var target in targets)
        {
            var stored = Stored(target);
            var updated = MongoUpdate.Apply(stored, update, inserting: false);
            if (!MongoValues.Equal(stored, updated))
            {
                ops.Add(Put(IdOf(target), updated, SeqOf(target)));
            }
        }

        if (ops.Count > 0)
        {
            await WriteAsync(ops, cancellationToken).ConfigureAwait(false);
        }

        return UpdateResult(targets.Count, ops.Count, null);
    }

    private static JsonObject UpdateResult(int matched, int modified, string? upsertedId) =>
        new() { ["matchedCount"] = matched, ["modifiedCount"] = modified, ["upsertedId"] = upsertedId };

    /// <summary>How the last read found its candidates: <c>_id</c>, the NQL query it ran, or a scan.</summary>
    public string LastAccess { get; private set; } = "";

    /// <summary>How many candidate documents the last read checked against the filter.</summary>
    public long Examined { get; private set; }

    /// <summary>
    /// The matching documents as stored (with <c>_id</c> and <c>_seq</c>), in id order: an
    /// <c>_id</c> lookup reads one document; top-level equalities go through NQL's planner
    /// and indexes (<see cref="MongoCandidates"/>); anything else reads the collection.
    /// </summary>
    private List<JsonObject> Find(MongoFilter filter, bool one = false)
    {
        var matches = new List<JsonObject>();
        Examined = 0;
        foreach (var candidate in Candidates(filter))
        {
            Examined++;
            var row = JsonNode.Parse(candidate)!.AsObject();
            if (filter.Matches(row))
            {
                matches.Add(row);
                if (one)
                {
                    break;
                }
            }
        }

        return matches;
    }

    private IEnumerable<byte[]> Candidates(MongoFilter filter)
    {
        if (filter.PinnedId is { } id)
        {
            LastAccess = "_id";
            return db.Get(collection, id) is { } doc ? [doc.Json] : [];
        }

        if (MongoCandidates.Nql(collection, filter.Source) is { } nql)
        {
            try
            {
                var rows = db.Query(nql).Rows;
                LastAccess = nql;
                return rows;
            }
            catch (Exception ex) when (ex is NqlException or NqlSyntaxException)
            {
                // Not expressible after all (a field NQL reads differently): read the collection.
            }
        }

        LastAccess = "scan";
        return db.Scan(collection).Select(d => d.Json);
    }

    private Task<BatchResult> WriteAsync(List<DocumentOp> ops, CancellationToken cancellationToken) => db.BatchAsync(ops, Writer, cancellationToken);

    private DocumentOp Put(string id, JsonObject document, long ifSeq)
    {
        var body = Stored(document);
        body.Remove("_id");
        using var json = JsonDocument.Parse(body.ToJsonString());
        return DocumentOp.Put(collection, id, json.RootElement.Clone(), ifSeq);
    }

    /// <summary>The document without what the database adds on reading (<c>_seq</c>).</summary>
    private static JsonObject Stored(JsonObject row)
    {
        var copy = row.DeepClone().AsObject();
        copy.Remove("_seq");
        return copy;
    }

    private static string IdOf(JsonObject row) => row["_id"]!.GetValue<string>();

    private static long SeqOf(JsonObject row) => (long)MongoValues.Number(row["_seq"]!);

    private static string IdText(JsonNode id) => MongoValues.Kind(id) switch
    {
        JsonValueKind.String => id.GetValue<string>(),
        JsonValueKind.Number => id.ToJsonString(),
        _ => throw new MongoException("_id must be a string or a number"),
    };

    private static int Integer(JsonNode? value, string name) => value switch
    {
        null => 0,
        _ when MongoValues.IsNumber(value) && MongoValues.Number(value) is var n && n >= 0 && n == Math.Floor(n) => (int)Math.Min(n, int.MaxValue),
        _ => throw new MongoException($"{name} must be a non-negative integer"),
    };
}
