using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Quire.Databases;
using Quire.Documents;
using Quire.Indexes;
using Quire.Query;
using Quire.Storage.Engine;
using PreconditionFailedException = Quire.Documents.PreconditionFailedException;

namespace Quire.Server.Http;

/// <summary>
/// nedbd's v1 HTTP API over a <see cref="DatabaseCatalog"/> (the contract is the shared
/// NEDBD-API.md; Quire's additions and differences are in docs/http.md). One method per
/// route; errors become <c>{"error": ...}</c> with the contract's status, never a stack trace.
/// </summary>
internal sealed class NedbdApi(DatabaseCatalog catalog, ServerOptions options, ILogger logger)
{
    private readonly ServerMetrics _metrics = new();

    private const string Version = "0.1.0";
    private readonly byte[]? _token = options.Token is { Length: > 0 } token ? Encoding.UTF8.GetBytes(token) : null;

    public async Task HandleAsync(HttpContext context)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            await HandleRequestAsync(context).ConfigureAwait(false);
        }
        finally
        {
            var route = RouteName(context.Request.Path.Value);
            _metrics.Count(route, context.Response.StatusCode);
            if (logger.IsEnabled(LogLevel.Information))
            {
                logger.LogInformation(
                    "{Method} {Route} {Status} {Milliseconds:F1} ms {Protocol}",
                    context.Request.Method,
                    route,
                    context.Response.StatusCode,
                    System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds,
                    context.Request.Protocol);
            }
        }
    }

    /// <summary>The route's name for metrics: its fixed part, never a database or document name.</summary>
    private static string RouteName(string? path)
    {
        var parts = (path ?? "/").Split('/', StringSplitOptions.RemoveEmptyEntries);
        return parts switch
        {
            [var only] when only is "health" or "ready" or "metrics" => only,
            ["v1", "databases"] => "databases",
            ["v1", "databases", _] => "database",
            ["v1", "databases", _, var action, ..] when action is "query" or "explain" or "put" or "batch" or "index" or "link" or "rows" or "docs" or "verify" or "log" or "checkpoint" => action,
            _ => "unknown",
        };
    }

    private async Task HandleRequestAsync(HttpContext context)
    {
        context.Response.Headers.AccessControlAllowOrigin = "*";
        try
        {
            await RouteAsync(context).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!context.RequestAborted.IsCancellationRequested && context.Items.ContainsKey(QueueDeadlineKey) && !context.Response.HasStarted)
        {
            // The write waited QueueWait for room in a full commit queue, and was never queued.
            context.Response.Headers.RetryAfter = "1";
            await JsonResponse.ErrorAsync(context, 429, "the commit queue is full: retry later").ConfigureAwait(false);
        }
        catch (Exception ex) when (!context.Response.HasStarted)
        {
            var (status, message) = Classify(ex);
            if (status == 500)
            {
                logger.LogError(ex, "{Method} {Path} failed", context.Request.Method, context.Request.Path);
            }

            if (ex is PreconditionFailedException failed)
            {
                await JsonResponse.WriteAsync(context, 409, w => WritePreconditionFailure(w, failed)).ConfigureAwait(false);
                return;
            }

            await JsonResponse.ErrorAsync(context, status, message).ConfigureAwait(false);
        }
    }

    private Task RouteAsync(HttpContext context)
    {
        var method = context.Request.Method;
        var parts = (context.Request.Path.Value ?? "/").Split('/', StringSplitOptions.RemoveEmptyEntries).Select(Uri.UnescapeDataString).ToArray();
        if (method == "OPTIONS")
        {
            context.Response.Headers.AccessControlAllowMethods = "GET, POST, DELETE, OPTIONS";
            context.Response.Headers.AccessControlAllowHeaders = "Authorization, Content-Type";
            context.Response.StatusCode = 204;
            return Task.CompletedTask;
        }

        switch (parts)
        {
            case ["health"] when method == "GET":
                return Health(context);
            case ["ready"] when method == "GET":
                return Ready(context);
            case ["metrics"] when method == "GET":
                return Metrics(context);
            case ["v1", ..]:
                Authorize(context);
                break;
            default:
                throw new HttpStatusException(404, "no such route");
        }

        return (method, parts[1..]) switch
        {
            ("GET", ["databases"]) => ListDatabases(context),
            ("POST", ["databases"]) => CreateDatabase(context),
            ("GET", ["databases", var db]) => Detail(context, db),
            ("DELETE", ["databases", var db]) => Drop(context, db),
            ("POST", ["databases", var db, "query"]) => Query(context, db),
            ("POST", ["databases", var db, "explain"]) => Explain(context, db),
            ("POST", ["databases", var db, "put"]) => Put(context, db),
            ("POST", ["databases", var db, "batch"]) => Batch(context, db),
            ("POST", ["databases", var db, "index"]) => Index(context, db),
            ("POST", ["databases", var db, "link"]) => Link(context, db),
            ("DELETE", ["databases", var db, "rows", var coll, var id]) => DeleteRow(context, db, coll, id),
            ("GET", ["databases", var db, "docs", var coll, var id]) => GetDocument(context, db, coll, id),
            ("GET", ["databases", var db, "verify"]) => Verify(context, db),
            ("GET", ["databases", var db, "log"]) => Log(context, db),
            ("POST", ["databases", var db, "checkpoint"]) => Checkpoint(context, db),
            _ => throw new HttpStatusException(404, "no such route"),
        };
    }

    /// <summary>
    /// The token a write passes to its commit: it cancels waiting for room in a full queue
    /// after <see cref="ServerOptions.QueueWait"/> (then 429), or when the client goes.
    /// </summary>
    private static CancellationTokenSource WriteDeadline(HttpContext context, TimeSpan queueWait)
    {
        var deadline = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        deadline.CancelAfter(queueWait);
        context.Items[QueueDeadlineKey] = deadline;
        return deadline;
    }

    private const string QueueDeadlineKey = "quire.queue-deadline";

    private void Authorize(HttpContext context)
    {
        if (_token is null)
        {
            return;
        }

        var header = context.Request.Headers.Authorization.ToString();
        var given = header.StartsWith("Bearer ", StringComparison.Ordinal) ? Encoding.UTF8.GetBytes(header[7..]) : [];
        if (!CryptographicOperations.FixedTimeEquals(given, _token))
        {
            throw new HttpStatusException(401, "missing or invalid bearer token");
        }
    }

    private Task Health(HttpContext context) => JsonResponse.WriteAsync(context, 200, w =>
    {
        w.WriteStartObject();
        w.WriteBoolean("ok", true);
        w.WriteString("service", "nedbd");
        w.WriteString("version", Version);
        w.WriteNumber("databases", catalog.List().Count);
        w.WriteBoolean("encrypted", false);
        w.WriteString("engine", "quire");
        w.WriteEndObject();
    });

    private Task Ready(HttpContext context)
    {
        // Every database opens in constant time (the log tail replays), so open them all now.
        foreach (var name in catalog.List())
        {
            catalog.Get(name);
        }

        return JsonResponse.WriteAsync(context, 200, w =>
        {
            w.WriteStartObject();
            w.WriteBoolean("ready", true);
            w.WriteNumber("databases", catalog.List().Count);
            w.WriteEndObject();
        });
    }

    private async Task Metrics(HttpContext context)
    {
        var text = Encoding.UTF8.GetBytes(_metrics.Render(catalog.OpenDatabases()));
        context.Response.StatusCode = 200;
        context.Response.ContentType = "text/plain; version=0.0.4";
        await context.Response.Body.WriteAsync(text, context.RequestAborted).ConfigureAwait(false);
    }

    private Task ListDatabases(HttpContext context)
    {
        var names = catalog.List();
        return JsonResponse.WriteAsync(context, 200, w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("databases");
            foreach (var name in names)
            {
                WriteSummary(w, catalog.Get(name), details: false);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        });
    }

    private async Task CreateDatabase(HttpContext context)
    {
        using var body = await RequestBody.ReadObjectAsync(context, options.MaxBodyBytes).ConfigureAwait(false);
        var name = RequestBody.String(body.RootElement, "name");
        if (string.IsNullOrEmpty(name))
        {
            throw new HttpStatusException(400, "name is required");
        }

        Names.CheckDatabase(name);
        var init = body.RootElement.TryGetProperty("init", out var i) && i.ValueKind == JsonValueKind.Object ? i : (JsonElement?)null;
        var ops = init is { } spec ? SeedOps(spec) : [];
        var indexes = init is { } withIndexes ? SeedIndexes(withIndexes) : [];
        var db = catalog.Create(name);
        try
        {
            foreach (var (coll, field, kind) in indexes)
            {
                await db.CreateIndexAsync(coll, field, kind, context.RequestAborted).ConfigureAwait(false);
            }

            if (ops.Count > 0)
            {
                await db.BatchAsync(ops, cancellationToken: context.RequestAborted).ConfigureAwait(false);
            }

            await db.WhenIndexesReadyAsync().ConfigureAwait(false);
        }
        catch
        {
            // A bad seed or index leaves no half-made database behind: the create is all or nothing.
            catalog.Drop(name);
            throw;
        }
        await JsonResponse.WriteAsync(context, 201, w =>
        {
            w.WriteStartObject();
            w.WritePropertyName("database");
            WriteSummary(w, db, details: false);
            w.WriteEndObject();
        }).ConfigureAwait(false);
    }

    private static List<(string Coll, string Field, IndexKind Kind)> SeedIndexes(JsonElement init)
    {
        var indexes = new List<(string, string, IndexKind)>();
        if (init.TryGetProperty("indexes", out var list) && list.ValueKind == JsonValueKind.Array)
        {
            foreach (var index in list.EnumerateArray())
            {
                var parts = index.ValueKind == JsonValueKind.Array ? index.EnumerateArray().Select(p => p.ValueKind == JsonValueKind.String ? p.GetString() : null).ToArray() : [];
                if (parts.Length < 2 || parts[0] is null || parts[1] is null)
                {
                    throw new HttpStatusException(400, "init.indexes entries are [coll, field, kind?]");
                }

                indexes.Add((parts[0]!, parts[1]!, parts.Length > 2 && parts[2] is { } kind ? IndexKinds.Parse(kind) : IndexKind.Eq));
            }
        }

        return indexes;
    }

    private static List<DocumentOp> SeedOps(JsonElement init)
    {
        var ops = new List<DocumentOp>();
        if (init.TryGetProperty("seed", out var seed) && seed.ValueKind == JsonValueKind.Object)
        {
            foreach (var coll in seed.EnumerateObject())
            {
                var n = 0;
                foreach (var doc in coll.Value.ValueKind == JsonValueKind.Array ? coll.Value.EnumerateArray() : default)
                {
                    n++;
                    if (doc.ValueKind != JsonValueKind.Object)
                    {
                        throw new HttpStatusException(400, $"init.seed.{coll.Name}[{n - 1}] is not an object");
                    }

                    var id = RequestBody.String(doc, "_id") ?? IdField(doc) ?? $"{coll.Name}-{n}";
                    ops.Add(DocumentOp.Put(coll.Name, id, doc.Clone()));
                }
            }
        }

        if (init.TryGetProperty("links", out var links) && links.ValueKind == JsonValueKind.Array)
        {
            foreach (var link in links.EnumerateArray())
            {
                var parts = link.ValueKind == JsonValueKind.Array ? link.EnumerateArray().Select(p => p.ValueKind == JsonValueKind.String ? p.GetString() : null).ToArray() : [];
                if (parts.Length != 3 || parts.Any(p => p is null))
                {
                    throw new HttpStatusException(400, "init.links entries are [frm, rel, to]");
                }

                ops.Add(DocumentOp.Link(parts[0]!, parts[1]!, parts[2]!));
            }
        }

        return ops;
    }

    private static string? IdField(JsonElement doc) =>
        doc.ValueKind == JsonValueKind.Object && doc.TryGetProperty("id", out var id)
            ? id.ValueKind switch { JsonValueKind.String => id.GetString(), JsonValueKind.Number => id.GetRawText(), _ => null }
            : null;

    private Task Detail(HttpContext context, string name)
    {
        var db = catalog.Get(name);
        return JsonResponse.WriteAsync(context, 200, w => WriteSummary(w, db, details: true));
    }

    private Task Drop(HttpContext context, string name)
    {
        var dropped = catalog.Drop(name);
        return JsonResponse.WriteAsync(context, 200, w =>
        {
            w.WriteStartObject();
            w.WriteBoolean("dropped", dropped);
            w.WriteEndObject();
        });
    }

    private async Task Query(HttpContext context, string name)
    {
        var db = catalog.Get(name);
        var nql = await ReadNqlAsync(context).ConfigureAwait(false);

        var result = db.Query(nql);
        await JsonResponse.WriteAsync(context, 200, w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("rows");
            foreach (var row in result.Rows)
            {
                w.WriteRawValue(row, skipInputValidation: true);
            }

            w.WriteEndArray();
            w.WriteNumber("count", result.Rows.Count);
            w.WriteNumber("seq", result.Seq);
            w.WriteString("head", result.Head);
            w.WriteEndObject();
        }).ConfigureAwait(false);
    }

    private async Task Explain(HttpContext context, string name)
    {
        var db = catalog.Get(name);
        var nql = await ReadNqlAsync(context).ConfigureAwait(false);

        var plan = db.Explain(nql);
        await JsonResponse.WriteAsync(context, 200, w =>
        {
            w.WriteStartObject();
            w.WritePropertyName("plan");
            plan.WriteTo(w);
            w.WriteEndObject();
        }).ConfigureAwait(false);
    }

    /// <summary>The <c>nql</c> of a query or explain body (400 <c>nql is required</c> without one).</summary>
    private async Task<string> ReadNqlAsync(HttpContext context)
    {
        using var body = await RequestBody.ReadObjectAsync(context, options.MaxBodyBytes).ConfigureAwait(false);
        var nql = RequestBody.String(body.RootElement, "nql");
        return string.IsNullOrWhiteSpace(nql) ? throw new HttpStatusException(400, "nql is required") : nql;
    }

    private async Task Put(HttpContext context, string name)
    {
        var db = catalog.Get(name);
        using var body = await RequestBody.ReadObjectAsync(context, options.MaxBodyBytes).ConfigureAwait(false);
        var root = body.RootElement;
        var coll = RequestBody.String(root, "coll");
        var id = RequestBody.String(root, "id");
        if (coll is null || id is null || !root.TryGetProperty("doc", out var doc) || doc.ValueKind != JsonValueKind.Object)
        {
            throw new HttpStatusException(400, "coll, id, and doc are required");
        }

        var op = DocumentOp.Put(coll, id, doc) with
        {
            Idem = RequestBody.String(root, "idem"),
            TtlSeconds = RequestBody.Integer(root, "ttl_s", "bad request"),
        };
        using var deadline = WriteDeadline(context, options.QueueWait);
        var result = await db.BatchAsync([op], Client(root), deadline.Token).ConfigureAwait(false);

        // The document this put wrote; a replayed put (idem key used before) reads what is there now.
        var stored = result.Results[0].Document ?? db.Get(coll, id)?.Json;
        var (_, head) = db.Head;
        await JsonResponse.WriteAsync(context, 200, w =>
        {
            w.WriteStartObject();
            w.WriteBoolean("ok", true);
            w.WritePropertyName("doc");
            if (stored is not null)
            {
                w.WriteRawValue(stored, skipInputValidation: true);
            }
            else
            {
                w.WriteNullValue();
            }

            w.WriteNumber("seq", result.Results[0].Seq);
            w.WriteString("head", head);
            w.WriteEndObject();
        }).ConfigureAwait(false);
    }

    private async Task Batch(HttpContext context, string name)
    {
        var db = catalog.Get(name);
        using var body = await RequestBody.ReadObjectAsync(context, options.MaxBodyBytes).ConfigureAwait(false);
        var root = body.RootElement;
        if (!root.TryGetProperty("ops", out var list) || list.ValueKind != JsonValueKind.Array || list.GetArrayLength() == 0)
        {
            throw new HttpStatusException(400, "ops array is required");
        }

        var ops = new List<DocumentOp>();
        var index = 0;
        foreach (var item in list.EnumerateArray())
        {
            ops.Add(BatchOp(item, index++));
        }

        using var deadline = WriteDeadline(context, options.QueueWait);
        var result = await db.BatchAsync(ops, Client(root), deadline.Token).ConfigureAwait(false);
        var (_, head) = db.Head;
        await JsonResponse.WriteAsync(context, 200, w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("results");
            foreach (var op in result.Results)
            {
                w.WriteStartObject();
                w.WriteString("op", op.Kind switch { OpKind.Put => "put", OpKind.Delete => "del", _ => "link" });
                w.WriteString("id", op.Id);
                w.WriteNumber("seq", op.Seq);
                if (op.Replayed)
                {
                    w.WriteBoolean("replayed", true);
                }

                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteNumber("count", result.Results.Count);
            w.WriteBoolean("atomic", true);
            w.WriteNumber("seq", result.Seq);
            w.WriteString("head", head);
            w.WriteEndObject();
        }).ConfigureAwait(false);
    }

    private static DocumentOp BatchOp(JsonElement item, int index)
    {
        if (item.ValueKind != JsonValueKind.Object)
        {
            throw new HttpStatusException(400, $"bad op at index {index}: an op is an object");
        }

        var kind = RequestBody.String(item, "op");
        var ifSeq = RequestBody.Integer(item, "if_seq", $"bad op at index {index}");
        var idem = RequestBody.String(item, "idem");
        switch (kind)
        {
            case "put":
                var coll = RequestBody.String(item, "coll");
                var id = RequestBody.String(item, "id");
                if (coll is null || id is null || !item.TryGetProperty("doc", out var doc) || doc.ValueKind != JsonValueKind.Object)
                {
                    throw new HttpStatusException(400, $"bad op at index {index}: put needs coll, id and an object doc");
                }

                return DocumentOp.Put(coll, id, doc, ifSeq) with { Idem = idem, TtlSeconds = RequestBody.Integer(item, "ttl_s", $"bad op at index {index}") };
            case "del" or "delete":
                var delColl = RequestBody.String(item, "coll");
                var delId = RequestBody.String(item, "id");
                if (delColl is null || delId is null)
                {
                    throw new HttpStatusException(400, $"bad op at index {index}: del needs coll and id");
                }

                return DocumentOp.Delete(delColl, delId, ifSeq) with { Idem = idem };
            case "link":
                var (frm, rel, to) = (RequestBody.String(item, "frm"), RequestBody.String(item, "rel"), RequestBody.String(item, "to"));
                if (frm is null || rel is null || to is null)
                {
                    throw new HttpStatusException(400, $"bad op at index {index}: link needs frm, rel and to");
                }

                return DocumentOp.Link(frm, rel, to) with { Idem = idem };
            default:
                throw new HttpStatusException(400, $"bad op at index {index}: op must be put, del or link");
        }
    }

    private async Task Index(HttpContext context, string name)
    {
        var db = catalog.Get(name);
        using var body = await RequestBody.ReadObjectAsync(context, options.MaxBodyBytes).ConfigureAwait(false);
        var coll = RequestBody.String(body.RootElement, "coll");
        var field = RequestBody.String(body.RootElement, "field");
        if (string.IsNullOrEmpty(coll) || string.IsNullOrEmpty(field))
        {
            throw new HttpStatusException(400, "coll and field are required");
        }

        var kind = IndexKinds.Parse(RequestBody.String(body.RootElement, "kind") ?? "eq");
        await db.CreateIndexAsync(coll, field, kind, context.RequestAborted).ConfigureAwait(false);
        await JsonResponse.WriteAsync(context, 200, w =>
        {
            w.WriteStartObject();
            w.WriteBoolean("ok", true);
            w.WriteEndObject();
        }).ConfigureAwait(false);
    }

    private async Task Link(HttpContext context, string name)
    {
        var db = catalog.Get(name);
        using var body = await RequestBody.ReadObjectAsync(context, options.MaxBodyBytes).ConfigureAwait(false);
        var (frm, rel, to) = (RequestBody.String(body.RootElement, "frm"), RequestBody.String(body.RootElement, "rel"), RequestBody.String(body.RootElement, "to"));
        if (string.IsNullOrEmpty(frm) || string.IsNullOrEmpty(rel) || string.IsNullOrEmpty(to))
        {
            throw new HttpStatusException(400, "frm, rel, and to are required");
        }

        using var deadline = WriteDeadline(context, options.QueueWait);
        var seq = await db.LinkAsync(frm, rel, to, deadline.Token).ConfigureAwait(false);
        await WriteOk(context, db, seq).ConfigureAwait(false);
    }

    private async Task DeleteRow(HttpContext context, string name, string coll, string id)
    {
        var db = catalog.Get(name);
        using var deadline = WriteDeadline(context, options.QueueWait);
        var seq = await db.DeleteAsync(coll, id, cancellationToken: deadline.Token).ConfigureAwait(false);
        await WriteOk(context, db, seq).ConfigureAwait(false);
    }

    private Task GetDocument(HttpContext context, string name, string coll, string id)
    {
        var db = catalog.Get(name);
        var document = db.Get(coll, id) ?? throw new HttpStatusException(404, $"document not found: {coll}/{id}");
        return JsonResponse.WriteAsync(context, 200, w => w.WriteRawValue(document.Json, skipInputValidation: true));
    }

    private Task Verify(HttpContext context, string name)
    {
        var result = catalog.Get(name).Verify();
        return JsonResponse.WriteAsync(context, 200, w =>
        {
            w.WriteStartObject();
            w.WriteBoolean("ok", result.Ok);
            w.WriteNumber("seq", result.Seq);
            w.WriteString("head", result.Head);
            if (result.Problem is { } problem)
            {
                w.WriteString("problem", problem);
            }

            w.WriteEndObject();
        });
    }

    private Task Log(HttpContext context, string name)
    {
        var db = catalog.Get(name);
        var limit = 100;
        if (context.Request.Query.TryGetValue("limit", out var text) && (!int.TryParse(text, out limit) || limit < 0))
        {
            throw new HttpStatusException(400, "limit must be a non-negative integer");
        }

        var records = db.ReadLog(Math.Min(limit, 100_000));
        var (seq, head) = db.Head;
        return JsonResponse.WriteAsync(context, 200, w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("log");
            foreach (var record in records)
            {
                record.WriteTo(w);
            }

            w.WriteEndArray();
            w.WriteNumber("seq", seq);
            w.WriteString("head", head);
            w.WriteEndObject();
        });
    }

    private async Task Checkpoint(HttpContext context, string name)
    {
        var db = catalog.Get(name);
        await db.CheckpointAsync().ConfigureAwait(false);
        var (seq, head) = db.Head;
        await JsonResponse.WriteAsync(context, 200, w =>
        {
            w.WriteStartObject();
            w.WriteBoolean("ok", true);
            w.WriteString("head", head);
            w.WriteNumber("seq", seq);
            w.WriteEndObject();
        }).ConfigureAwait(false);
    }

    private static Task WriteOk(HttpContext context, Database db, long seq)
    {
        var (_, head) = db.Head;
        return JsonResponse.WriteAsync(context, 200, w =>
        {
            w.WriteStartObject();
            w.WriteBoolean("ok", true);
            w.WriteNumber("seq", seq);
            w.WriteString("head", head);
            w.WriteEndObject();
        });
    }

    private static BatchOptions? Client(JsonElement root)
    {
        var client = RequestBody.String(root, "client");
        var nonce = RequestBody.Integer(root, "nonce", "bad request");
        return client is null && nonce is null ? null : new BatchOptions { Client = client, Nonce = nonce };
    }

    private static void WriteSummary(Utf8JsonWriter w, Database db, bool details)
    {
        var (seq, head) = db.Head;
        w.WriteStartObject();
        w.WriteString("name", db.Name);
        w.WriteNumber("seq", seq);
        w.WriteString("head", head);
        w.WriteStartArray("collections");
        foreach (var collection in db.Collections())
        {
            w.WriteStringValue(collection);
        }

        w.WriteEndArray();
        if (details)
        {
            w.WriteStartArray("indexes");
            foreach (var (collection, indexes) in db.AllIndexes())
            {
                foreach (var index in indexes)
                {
                    w.WriteStartObject();
                    w.WriteString("coll", collection);
                    w.WriteString("field", index.Field);
                    w.WriteString("kind", IndexKinds.Name(index.Kind));
                    w.WriteBoolean("ready", index.Ready);
                    w.WriteEndObject();
                }
            }

            w.WriteEndArray();
        }

        w.WriteEndObject();
    }

    private static void WritePreconditionFailure(Utf8JsonWriter w, PreconditionFailedException failed)
    {
        w.WriteStartObject();
        w.WriteString("error", "precondition_failed");
        w.WriteStartArray("failures");
        foreach (var f in failed.Failures)
        {
            w.WriteStartObject();
            w.WriteNumber("index", f.Index);
            w.WriteString("coll", f.Collection);
            w.WriteString("id", f.Id);
            w.WriteNumber("expected", f.Expected);
            if (f.Actual is { } actual)
            {
                w.WriteNumber("actual", actual);
            }
            else
            {
                w.WriteNull("actual");
            }

            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteNumber("seq", failed.Seq);
        w.WriteEndObject();
    }

    private static (int Status, string Message) Classify(Exception ex) => ex switch
    {
        HttpStatusException e => (e.Status, e.Message),
        DatabaseNotFoundException e => (404, e.Message),
        DatabaseExistsException e => (409, e.Message),
        NonceReplayException e => (409, e.Message),
        PreconditionFailedException => (409, "precondition_failed"),
        NqlSyntaxException e => (400, $"NQL error: {e.Message}"),
        NqlException e => (400, $"NQL error: {e.Message}"),
        InvalidOpException e => (400, e.Message.StartsWith("bad op", StringComparison.Ordinal) ? e.Message : $"bad op: {e.Message}"),
        InvalidNameException or InvalidDocumentException or InvalidIndexException => (400, ex.Message),
        BatchTooLargeException e => (413, e.Message),
        StorageFailedException => (503, "storage failed: the database is read-only until restarted"),
        TimeoutException => (503, "the documents this write reads kept changing: retry"),
        OperationCanceledException => (499, "request cancelled"),
        _ => (500, "internal error"),
    };
}
