using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Quire.Databases;
using Quire.Indexes;
using Quire.Server.Service;

namespace Quire.Server.Http.Routes;

/// <summary>The databases: list, create (with <c>init</c>), detail, drop.</summary>
internal sealed class DatabaseRoutes(QuireService service)
{
    /// <summary>GET /v1/databases: every database's summary.</summary>
    public Task List(HttpContext context, AccessGrant grant)
    {
        var databases = service.DatabaseNames().Where(grant.Reaches).Select(service.Get).ToList();
        return JsonResponse.WriteAsync(context, 200, w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("databases");
            foreach (var db in databases)
            {
                WriteSummary(w, db, details: false);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        });
    }

    /// <summary>POST /v1/databases <c>{name, init?}</c>: 201 <c>{database: summary}</c>.</summary>
    public async Task Create(HttpContext context)
    {
        using var body = await Bodies.ReadAsync(context, service).ConfigureAwait(false);
        var name = RequestFields.String(body.RootElement, "name")?.Trim();
        if (string.IsNullOrEmpty(name))
        {
            throw ServiceException.BadInput("name is required");
        }

        var seed = RequestFields.Object(body.RootElement, "init", "bad request") is { } init ? DatabaseSeed.Parse(init) : DatabaseSeed.Empty;
        var db = await service.CreateAsync(name, seed, context.RequestAborted).ConfigureAwait(false);
        await JsonResponse.WriteAsync(context, 201, w =>
        {
            w.WriteStartObject();
            w.WritePropertyName("database");
            WriteSummary(w, db, details: false);
            w.WriteEndObject();
        }).ConfigureAwait(false);
    }

    /// <summary>GET /v1/databases/&lt;db&gt;: the summary with indexes, relations, integrity.</summary>
    public Task Detail(HttpContext context, string name)
    {
        var db = service.Get(name);
        return JsonResponse.WriteAsync(context, 200, w => WriteSummary(w, db, details: true));
    }

    /// <summary>DELETE /v1/databases/&lt;db&gt;: <c>{dropped: bool}</c>.</summary>
    public Task Drop(HttpContext context, string name)
    {
        var dropped = service.Drop(name);
        return JsonResponse.WriteAsync(context, 200, w =>
        {
            w.WriteStartObject();
            w.WriteBoolean("dropped", dropped);
            w.WriteEndObject();
        });
    }

    /// <summary>nedbd's summary <c>{name, seq, head, rows, collections: {coll: rows}}</c>; with details, the detail's fields too.</summary>
    private static void WriteSummary(Utf8JsonWriter w, Database db, bool details)
    {
        var (seq, head) = db.Head;
        var counts = db.RowCounts();
        w.WriteStartObject();
        w.WriteString("name", db.Name);
        w.WriteNumber("seq", seq);
        w.WriteString("head", head);
        w.WriteNumber("rows", counts.Values.Sum());
        w.WriteStartObject("collections");
        foreach (var (collection, rows) in counts)
        {
            w.WriteNumber(collection, rows);
        }

        w.WriteEndObject();
        if (details)
        {
            WriteDetails(w, db);
        }

        w.WriteEndObject();
    }

    private static void WriteDetails(Utf8JsonWriter w, Database db)
    {
        w.WriteStartArray("indexes");
        foreach (var (collection, indexes) in db.AllIndexes())
        {
            foreach (var index in indexes)
            {
                w.WriteStartArray();
                w.WriteStringValue(collection);
                w.WriteStringValue(index.Field);
                w.WriteStringValue(IndexKinds.Name(index.Kind));
                w.WriteEndArray();
            }
        }

        w.WriteEndArray();
        w.WriteStartArray("index_builds");   // Quire's: whether each index is ready, and why a build failed
        foreach (var (collection, indexes) in db.AllIndexes())
        {
            foreach (var index in indexes)
            {
                w.WriteStartObject();
                w.WriteString("collection", collection);
                w.WriteString("field", index.Field);
                w.WriteString("kind", IndexKinds.Name(index.Kind));
                w.WriteBoolean("ready", index.Ready);
                if (!index.Ready && db.IndexBuildError(collection, index.Id) is { } error)
                {
                    w.WriteString("error", error);
                }

                w.WriteEndObject();
            }
        }

        w.WriteEndArray();
        w.WriteStartArray("relations");
        foreach (var (from, relation, to) in db.Relations())
        {
            w.WriteStartObject();
            w.WriteString("from", from);
            w.WriteString("relation", relation);
            w.WriteString("to", to);
            w.WriteString("cardinality", "one_to_many");
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteStartObject("integrity");
        w.WriteBoolean("ok", db.Verify().Ok);
        w.WriteEndObject();
        w.WriteBoolean("encrypted", db.IsEncrypted);
        w.WriteBoolean("has_snapshot", db.HasCheckpoint);
    }
}
