using Microsoft.AspNetCore.Http;
using Quire.Server.Telemetry;
using Quire.Server.Service;

namespace Quire.Server.Http.Routes;

/// <summary>Health, readiness, metrics, indexes, checkpoints and sweeps.</summary>
internal sealed class AdminRoutes(QuireService service, ServerMetrics metrics, Replication.ReplicationStatus replication)
{
    private const string Version = "0.2.0";

    /// <summary>GET / and /health: nedbd's shape (<c>databases</c> is the list of names), answered before any database opens.</summary>
    public Task Health(HttpContext context)
    {
        var names = service.DatabaseNames();
        return JsonResponse.WriteAsync(context, 200, w =>
        {
            w.WriteStartObject();
            w.WriteBoolean("ok", true);
            w.WriteString("service", "nedbd");
            w.WriteString("version", Version);
            w.WriteStartArray("databases");
            foreach (var name in names)
            {
                w.WriteStringValue(name);
            }

            w.WriteEndArray();
            w.WriteBoolean("encrypted", service.Encrypts);
            w.WriteString("engine", "quire");
            replication.WriteHealth(w);
            w.WriteEndObject();
        });
    }

    /// <summary>POST /v1/admin/promote: a replica becomes a primary (409 on a primary).</summary>
    public Task Promote(HttpContext context)
    {
        replication.Promote();
        return JsonResponse.WriteAsync(context, 200, w =>
        {
            w.WriteStartObject();
            w.WriteBoolean("ok", true);
            w.WriteString("role", "primary");
            w.WriteEndObject();
        });
    }

    /// <summary>GET /ready: opens every database, then answers.</summary>
    public Task Ready(HttpContext context)
    {
        service.OpenAll();
        var count = service.DatabaseNames().Count;
        return JsonResponse.WriteAsync(context, 200, w =>
        {
            w.WriteStartObject();
            w.WriteBoolean("ready", true);
            w.WriteNumber("databases", count);
            w.WriteEndObject();
        });
    }

    /// <summary>GET /metrics in Prometheus' text format.</summary>
    public async Task Metrics(HttpContext context)
    {
        context.Response.StatusCode = 200;
        context.Response.ContentType = "text/plain; version=0.0.4";
        await metrics.WriteAsync(context.Response.Body, context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>POST .../index <c>{coll, field, kind?}</c>.</summary>
    public async Task CreateIndex(HttpContext context, string name)
    {
        var db = service.Get(name);
        using var body = await Bodies.ReadAsync(context, service).ConfigureAwait(false);
        var root = body.RootElement;
        await QuireService.CreateIndexAsync(db, RequestFields.String(root, "coll") ?? "", RequestFields.String(root, "field") ?? "", RequestFields.String(root, "kind"), context.RequestAborted).ConfigureAwait(false);
        await JsonResponse.WriteAsync(context, 200, w =>
        {
            w.WriteStartObject();
            w.WriteBoolean("ok", true);
            w.WriteEndObject();
        }).ConfigureAwait(false);
    }

    /// <summary>DELETE .../index <c>{coll, field, kind?}</c>: <c>{ok: true, dropped: n}</c>.</summary>
    public async Task DropIndex(HttpContext context, string name)
    {
        var db = service.Get(name);
        using var body = await Bodies.ReadAsync(context, service).ConfigureAwait(false);
        var root = body.RootElement;
        var dropped = await QuireService.DropIndexAsync(db, RequestFields.String(root, "coll") ?? "", RequestFields.String(root, "field") ?? "", RequestFields.String(root, "kind"), context.RequestAborted).ConfigureAwait(false);
        await JsonResponse.WriteAsync(context, 200, w =>
        {
            w.WriteStartObject();
            w.WriteBoolean("ok", true);
            w.WriteNumber("dropped", dropped);
            w.WriteEndObject();
        }).ConfigureAwait(false);
    }

    /// <summary>POST .../checkpoint: <c>{ok: true, head, seq}</c>.</summary>
    public async Task Checkpoint(HttpContext context, string name)
    {
        var db = service.Get(name);
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

    /// <summary>POST .../sweep: deletes the expired documents now, <c>{ok: true, swept, seq}</c>.</summary>
    public async Task Sweep(HttpContext context, string name)
    {
        var db = service.Get(name);
        var swept = await QuireService.SweepAsync(db, context.RequestAborted).ConfigureAwait(false);
        await JsonResponse.WriteAsync(context, 200, w =>
        {
            w.WriteStartObject();
            w.WriteBoolean("ok", true);
            w.WriteNumber("swept", swept);
            w.WriteNumber("seq", db.Seq);
            w.WriteEndObject();
        }).ConfigureAwait(false);
    }
}
