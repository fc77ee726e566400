using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Quire.Server.Http.Routes;
using Quire.Server.Telemetry;
using Quire.Server.Service;

namespace Quire.Server.Http;

/// <summary>
/// nedbd's HTTP API over the <see cref="QuireService"/> (the contract is the shared
/// NEDBD-API.md; Quire's additions and differences are in docs/http.md): CORS, the bearer
/// token, request logging and metrics, dispatch to the route files by area, and errors as
/// <c>{"error": ...}</c> with the contract's status, never a stack trace.
/// </summary>
internal sealed class HttpApi : IDisposable
{
    private readonly ServerMetrics _metrics;
    private readonly ILogger _logger;
    private readonly AccessTokens _tokens;
    private readonly AdminRoutes _admin;
    private readonly DatabaseRoutes _databases;
    private readonly DocumentRoutes _documents;
    private readonly QueryRoutes _queries;
    private readonly HistoryRoutes _history;
    private readonly MongoRoutes _mongo;
    private readonly FileRoutes _files;
    private readonly ChangeFeedRoutes _changes;
    private readonly ChangeStreamRoutes _stream;
    private readonly SubscribeRoutes _subscribe;
    private readonly ReplicationRoutes _replication;
    private readonly ServerEvents _events;

    private readonly BrowserGuard _guard;
    private readonly bool _metricsOpen;

    public HttpApi(QuireService service, AccessTokens tokens, ILogger logger, ServerEvents events, Replication.ReplicationStatus replication, BrowserGuard guard, bool metricsOpen)
    {
        _metricsOpen = metricsOpen;
        _guard = guard;
        _events = events;
        _logger = logger;
        _tokens = tokens;
        var subscriptions = new Subscriptions();
        _metrics = new ServerMetrics(service, () => subscriptions.Count, replication);
        _admin = new AdminRoutes(service, _metrics, replication);
        _databases = new DatabaseRoutes(service);
        _documents = new DocumentRoutes(service);
        _queries = new QueryRoutes(service);
        _history = new HistoryRoutes(service);
        _mongo = new MongoRoutes(service);
        _files = new FileRoutes(service);
        _changes = new ChangeFeedRoutes(service);
        _stream = new ChangeStreamRoutes(service);
        _subscribe = new SubscribeRoutes(service, subscriptions);
        _replication = new ReplicationRoutes(service, replication.Registry, replication.Epoch);
    }

    public async Task HandleAsync(HttpContext context)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        using var activity = ServerActivities.Source.StartActivity("HTTP request", System.Diagnostics.ActivityKind.Server);
        try
        {
            if (_guard.Check(context) is { } refused)
            {
                await JsonResponse.ErrorAsync(context, 403, refused).ConfigureAwait(false);
                return;
            }

            await RouteAsync(context).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went (before or while its answer was sent): nobody to tell.
            if (!context.Response.HasStarted)
            {
                context.Response.StatusCode = 499;
            }
        }
        catch (BadHttpRequestException ex) when (!context.Response.HasStarted)
        {
            // The request itself is broken (a bad chunk, a body too large or too slow): the client's mistake.
            await JsonResponse.ErrorAsync(context, ex.StatusCode, $"bad request: {ex.Message}").ConfigureAwait(false);
        }
        catch (Exception ex) when (!context.Response.HasStarted)
        {
            if (ServiceErrors.Classify(ex) is { } error)
            {
                await HttpErrors.WriteAsync(context, error).ConfigureAwait(false);
            }
            else
            {
                _logger.LogError(ex, "{Method} {Path} failed", context.Request.Method, context.Request.Path);
                await JsonResponse.ErrorAsync(context, 500, "internal error").ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (context.Response.HasStarted)
        {
            // Part of the answer was sent and the rest cannot be: cut the connection, so the client sees it broke.
            _logger.LogError(ex, "{Method} {Path} failed after its answer started", context.Request.Method, context.Request.Path);
            context.Abort();
        }
        finally
        {
            var route = HttpRoutes.Name(context.Request.Path.Value);
            _metrics.Count(route, context.Response.StatusCode, System.Diagnostics.Stopwatch.GetElapsedTime(started));
            if (activity is not null)
            {
                activity.DisplayName = $"{context.Request.Method} {route}";
                activity.SetTag("http.request.method", context.Request.Method).SetTag("http.route", route)
                    .SetTag("http.response.status_code", context.Response.StatusCode);
            }
            if (_logger.IsEnabled(LogLevel.Information))
            {
                _logger.LogInformation(
                    "{Method} {Route} {Status} {Milliseconds:F1} ms {Protocol}",
                    context.Request.Method,
                    route,
                    context.Response.StatusCode,
                    System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds,
                    context.Request.Protocol);
            }
        }
    }

    /// <summary>Stops the metrics' listener.</summary>
    public void Dispose() => _metrics.Dispose();

    private Task RouteAsync(HttpContext context)
    {
        var method = context.Request.Method;
        if (method == "OPTIONS")
        {
            context.Response.Headers.AccessControlAllowMethods = "GET, POST, DELETE, OPTIONS";
            context.Response.Headers.AccessControlAllowHeaders = "Authorization, Content-Type";
            context.Response.StatusCode = 204;
            return Task.CompletedTask;
        }

        var parts = HttpRoutes.Split(context.Request.Path.Value);
        switch (parts)
        {
            case [] when method == "GET" && WebConsole.ConsoleAssets.WantsHtml(context.Request):
                context.Response.StatusCode = 302;   // a browser: the console
                context.Response.Headers.Location = "/ui/";
                return Task.CompletedTask;
            case ["ui", .. var file] when method is "GET" or "HEAD":
                return WebConsole.ConsoleAssets.ServeAsync(context, file);
            case [] or ["health"] when method == "GET":
                return _admin.Health(context);
            case ["ready"] when method == "GET":
                Authorize(context);   // it opens every database: not for anyone
                return _admin.Ready(context);
            case ["metrics"] when method == "GET":
                if (!_metricsOpen)
                {
                    Authorize(context);   // names and counts of the databases: any token
                }

                return _admin.Metrics(context);
            case ["events"] when method == "GET":
                RequireFull(Authorize(context));
                return Events(context);
            case ["v1", "admin", "promote"] when method == "POST":
                RequireFull(Authorize(context));
                return _admin.Promote(context);
            case ["v1", "databases", ..]:
                Check(Authorize(context), method, parts);
                break;
            case ["v1", ..]:
                Authorize(context);
                throw HttpRoutes.NoSuchRoute();
            default:
                throw HttpRoutes.NoSuchRoute();
        }

        return (method, parts[2..]) switch
        {
            ("GET", []) => _databases.List(context, Authorize(context)),
            ("POST", []) => _databases.Create(context),
            ("GET", [var db]) => _databases.Detail(context, db),
            ("DELETE", [var db]) => _databases.Drop(context, db),
            ("POST", [var db, "index"]) => _admin.CreateIndex(context, db),
            ("DELETE", [var db, "index"]) => _admin.DropIndex(context, db),
            ("POST", [var db, "checkpoint"]) => _admin.Checkpoint(context, db),
            ("POST", [var db, "sweep"]) => _admin.Sweep(context, db),
            ("POST", [var db, "put"]) => _documents.Put(context, db),
            ("POST", [var db, "batch"]) => _documents.Batch(context, db),
            ("POST", [var db, "link"]) => _documents.Link(context, db),
            ("DELETE", [var db, "rows", var coll, var id]) => _documents.Delete(context, db, coll, id),
            ("GET", [var db, "docs", var coll, var id]) => _documents.Get(context, db, coll, id),
            ("GET", [var db, "export"]) => _documents.Export(context, db),
            ("POST", [var db, "query"]) => _queries.Query(context, db),
            ("POST", [var db, "explain"]) => _queries.Explain(context, db),
            ("POST", [var db, "neighbors"]) => _queries.Neighbors(context, db),
            ("POST", [var db, "mongo"]) => _mongo.Mongo(context, db),
            ("POST", [var db, "files"]) => _files.Put(context, db),
            ("GET", [var db, "files", var file]) => _files.Get(context, db, file, rootOnly: false),
            ("GET", [var db, "files", var file, "root"]) => _files.Get(context, db, file, rootOnly: true),
            ("GET", [var db, "verify"]) => _history.Verify(context, db),
            ("GET", [var db, "log"]) => _history.Log(context, db),
            ("POST", [var db, "proof"]) => _history.Proof(context, db),
            ("GET", [var db, "tip"]) => _changes.Tip(context, db, collection: null),
            ("GET", [var db, "collections", var coll, "tip"]) => _changes.Tip(context, db, coll),
            ("GET", [var db, "since"]) => _changes.Since(context, db),
            ("GET", [var db, "status"]) => _changes.Status(context, db),
            ("GET", [var db, "changes"]) => _stream.Changes(context, db),
            ("POST", [var db, "subscribe"]) => _subscribe.Subscribe(context, db),
            ("DELETE", [var db, "subscribe", var id]) => _subscribe.Unsubscribe(context, db, id),
            ("GET", [var db, "replication"]) => _replication.Stream(context, db),
            ("POST", [var db, "replication", "ack"]) => _replication.Ack(context, db),
            ("GET", [var db, "replication", "head"]) => _replication.HeadAt(context, db),
            ("GET", [var db, "replication", "snapshot"]) => _replication.Snapshot(context, db),
            _ => throw HttpRoutes.NoSuchRoute(),
        };
    }

    /// <summary>GET /events: the server's log lines as unnamed SSE events, from now on, until the client goes.</summary>
    private async Task Events(HttpContext context)
    {
        using var reader = _events.Subscribe();
        await ServerSentEvents.StartAsync(context).ConfigureAwait(false);
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(1024);
        try
        {
            while (await reader.Lines.WaitToReadAsync(context.RequestAborted).ConfigureAwait(false))
            {
                buffer.ResetWrittenCount();
                while (reader.Lines.TryRead(out var line))
                {
                    ServerSentEvents.Append(buffer, null, null, w => w.WriteStringValue(line));
                }

                await ServerSentEvents.WriteAsync(context.Response, buffer.WrittenMemory, context.RequestAborted).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went.
        }
    }

    /// <summary>What the request's bearer token grants; 401 when it is none of the server's.</summary>
    private AccessGrant Authorize(HttpContext context)
    {
        var header = context.Request.Headers.Authorization.ToString();
        return _tokens.Find(header.StartsWith("Bearer ", StringComparison.Ordinal) ? header[7..] : null)
            ?? throw new ServiceException(ServiceErrorKind.Unauthorized, "missing or invalid bearer token");
    }

    private static void RequireFull(AccessGrant grant)
    {
        if (!grant.IsFull)
        {
            throw new ServiceException(ServiceErrorKind.ReadOnly, "this token is read-only or limited to some databases: this route needs a full token");
        }
    }

    /// <summary>Refuses (403) a route under /v1/databases the token does not reach: another database, or a write with a read-only token.</summary>
    private static void Check(AccessGrant grant, string method, string[] parts)
    {
        if (grant.IsFull)
        {
            return;
        }

        if (parts is [_, _])
        {
            if (method != "GET")
            {
                throw new ServiceException(ServiceErrorKind.ReadOnly, "this token is read-only or limited to some databases: it cannot create databases");
            }

            return;   // the list shows only what the token reaches
        }

        var database = parts[2];
        if (!grant.Reaches(database))
        {
            throw new ServiceException(ServiceErrorKind.ReadOnly, $"this token does not reach database {database}");
        }

        if (!grant.CanWrite && !IsRead(method, parts[3..]))
        {
            throw new ServiceException(ServiceErrorKind.ReadOnly, "this token is read-only");
        }
    }

    /// <summary>Routes that change nothing: every GET, and the POSTs that only ask (query, explain, ...).</summary>
    private static bool IsRead(string method, string[] rest) => method switch
    {
        "GET" => true,
        "POST" => rest is ["query" or "explain" or "neighbors" or "proof" or "subscribe"] or ["replication", "ack"],
        "DELETE" => rest is ["subscribe", _],
        _ => false,
    };
}
