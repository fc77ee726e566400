using Microsoft.AspNetCore.Http;
using Quire.Server.Service;

namespace Quire.Server.Http.Routes;

/// <summary>Reads by query: NQL, its plan, and a node's neighbours.</summary>
internal sealed class QueryRoutes(QuireService service)
{
    /// <summary>
    /// POST .../query <c>{nql}</c>: <c>{rows, count, seq, head}</c>, the rows sent as they are
    /// read; past the time or size limit, <c>truncated</c> and <c>error</c> follow (<see cref="StreamedJson"/>).
    /// </summary>
    public async Task Query(HttpContext context, string name)
    {
        var db = service.Get(name);
        var nql = await ReadNqlAsync(context).ConfigureAwait(false);
        using var limit = service.LimitQuery(context.RequestAborted);
        using var cursor = QuireService.OpenQuery(db, nql, limit);
        using var response = new StreamedJson(context, service.Options.MaxResponseBytes);
        var w = response.Writer;
        w.WriteStartObject();
        w.WriteStartArray("rows");
        var (count, stopped) = await response.WriteItemsAsync(cursor.Rows, row => row, limit).ConfigureAwait(false);
        w.WriteEndArray();
        w.WriteNumber("count", count);
        w.WriteNumber("seq", cursor.Seq);
        w.WriteString("head", cursor.Head);
        response.WriteTrailer(stopped);
        w.WriteEndObject();
        await response.CompleteAsync().ConfigureAwait(false);
    }

    /// <summary>POST .../explain <c>{nql}</c> (Quire's): <c>{plan}</c>.</summary>
    public async Task Explain(HttpContext context, string name)
    {
        var db = service.Get(name);
        var plan = db.Explain(await ReadNqlAsync(context).ConfigureAwait(false));
        await JsonResponse.WriteAsync(context, 200, w =>
        {
            w.WriteStartObject();
            w.WritePropertyName("plan");
            plan.WriteTo(w);
            w.WriteEndObject();
        }).ConfigureAwait(false);
    }

    /// <summary>POST .../neighbors <c>{node, rel}</c>: <c>{nodes, count}</c>, the nodes <c>node</c> links to by <c>rel</c>.</summary>
    public async Task Neighbors(HttpContext context, string name)
    {
        var db = service.Get(name);
        using var body = await Bodies.ReadAsync(context, service).ConfigureAwait(false);
        var (node, rel) = (RequestFields.String(body.RootElement, "node"), RequestFields.String(body.RootElement, "rel"));
        if (string.IsNullOrEmpty(node) || string.IsNullOrEmpty(rel))
        {
            throw ServiceException.BadInput("node and rel are required");
        }

        var nodes = db.Neighbors(node, rel);
        await JsonResponse.WriteAsync(context, 200, w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("nodes");
            foreach (var next in nodes)
            {
                w.WriteStringValue(next);
            }

            w.WriteEndArray();
            w.WriteNumber("count", nodes.Count);
            w.WriteEndObject();
        }).ConfigureAwait(false);
    }

    /// <summary>The <c>nql</c> of a query or explain body (400 <c>nql is required</c> without one).</summary>
    private async Task<string> ReadNqlAsync(HttpContext context)
    {
        using var body = await Bodies.ReadAsync(context, service).ConfigureAwait(false);
        var nql = RequestFields.String(body.RootElement, "nql");
        return string.IsNullOrWhiteSpace(nql) ? throw ServiceException.BadInput("nql is required") : nql;
    }
}
