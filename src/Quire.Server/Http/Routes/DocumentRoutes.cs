using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Quire.Documents;
using Quire.Server.Service;

namespace Quire.Server.Http.Routes;

/// <summary>Writes and reads of documents and links: put, batch, link, delete, get.</summary>
internal sealed class DocumentRoutes(QuireService service)
{
    /// <summary>POST .../put: <c>{ok: true, doc, seq, head}</c> with the document as stored.</summary>
    public async Task Put(HttpContext context, string name)
    {
        var db = service.Get(name);
        using var body = await Bodies.ReadAsync(context, service).ConfigureAwait(false);
        var op = OpFields.Put(body.RootElement);
        var result = await service.WriteAsync(db, [op], OpFields.Client(body.RootElement), context.RequestAborted).ConfigureAwait(false);

        // The document this put wrote; a replayed put (idem key used before) reads what is there now.
        var stored = result.Results[0].Document ?? db.Get(op.Collection, op.Id)?.Json;
        var (_, head) = db.Head;
        await JsonResponse.WriteAsync(context, 200, w =>
        {
            w.WriteStartObject();
            w.WriteBoolean("ok", true);
            w.WritePropertyName("doc");
            WriteDocument(w, stored);
            w.WriteNumber("seq", result.Results[0].Seq);
            w.WriteString("head", head);
            w.WriteEndObject();
        }).ConfigureAwait(false);
    }

    /// <summary>POST .../batch: all or nothing, <c>{results, count, atomic: true, seq, head}</c>.</summary>
    public async Task Batch(HttpContext context, string name)
    {
        var db = service.Get(name);
        using var body = await Bodies.ReadAsync(context, service).ConfigureAwait(false);
        var ops = OpFields.Batch(body.RootElement);
        var result = await service.WriteAsync(db, ops, OpFields.Client(body.RootElement), context.RequestAborted).ConfigureAwait(false);
        var (_, head) = db.Head;
        await JsonResponse.WriteAsync(context, 200, w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("results");
            foreach (var op in result.Results)
            {
                WriteResult(w, op);
            }

            w.WriteEndArray();
            w.WriteNumber("count", result.Results.Count);
            w.WriteBoolean("atomic", true);
            w.WriteNumber("seq", result.Seq);
            w.WriteString("head", head);
            w.WriteEndObject();
        }).ConfigureAwait(false);
    }

    /// <summary>POST .../link <c>{frm, rel, to}</c>: <c>{ok: true, seq, head}</c>.</summary>
    public async Task Link(HttpContext context, string name)
    {
        var db = service.Get(name);
        using var body = await Bodies.ReadAsync(context, service).ConfigureAwait(false);
        var op = OpFields.Link(body.RootElement) ?? throw ServiceException.BadInput("frm, rel, and to are required");
        var result = await service.WriteAsync(db, [op], OpFields.Client(body.RootElement), context.RequestAborted).ConfigureAwait(false);
        await Bodies.OkAsync(context, db, result.Seq).ConfigureAwait(false);
    }

    /// <summary>DELETE .../rows/&lt;coll&gt;/&lt;id&gt;: <c>{ok: true, seq, head}</c> (deleting a missing document is an op too, as nedbd's).</summary>
    public async Task Delete(HttpContext context, string name, string coll, string id)
    {
        var db = service.Get(name);
        var result = await service.WriteAsync(db, [DocumentOp.Delete(coll, id)], null, context.RequestAborted).ConfigureAwait(false);
        await Bodies.OkAsync(context, db, result.Seq).ConfigureAwait(false);
    }

    /// <summary>GET .../docs/&lt;coll&gt;/&lt;id&gt; (Quire's): the document, or 404.</summary>
    public Task Get(HttpContext context, string name, string coll, string id)
    {
        var document = service.Get(name).Get(coll, id) ?? throw ServiceException.NotFound($"document not found: {coll}/{id}");
        return JsonResponse.WriteAsync(context, 200, w => w.WriteRawValue(document.Json, skipInputValidation: true));
    }

    /// <summary>
    /// GET .../export[?coll=c] (Quire's): every document of the collection (of every one, each
    /// line with its <c>_coll</c>, without <c>coll</c>) as JSON Lines read from one snapshot,
    /// streamed as stored; <c>X-Quire-Seq</c> and <c>X-Quire-Head</c> name the point it is as of.
    /// </summary>
    public async Task Export(HttpContext context, string name)
    {
        var db = service.Get(name);
        var collection = context.Request.Query.TryGetValue("coll", out var coll) ? coll.ToString() : null;
        using var export = db.OpenExport(collection);
        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/x-ndjson";
        context.Response.Headers["X-Quire-Seq"] = export.Seq.ToString(System.Globalization.CultureInfo.InvariantCulture);
        context.Response.Headers["X-Quire-Head"] = export.Head;
        var body = context.Response.BodyWriter;
        bool more;
        do
        {
            more = export.WriteNext(body, 64 * 1024);
            var flushed = await body.FlushAsync(context.RequestAborted).ConfigureAwait(false);
            if (flushed.IsCanceled || flushed.IsCompleted)
            {
                return;   // the client went away
            }
        }
        while (more);
    }

    /// <summary>One op's result as nedbd's batch shows it: <c>{op, id, seq, doc}</c> for a put, <c>{op, id, seq}</c> for a delete, <c>{op, seq}</c> for a link.</summary>
    private static void WriteResult(Utf8JsonWriter w, OpResult op)
    {
        w.WriteStartObject();
        w.WriteString("op", op.Kind switch { OpKind.Put => "put", OpKind.Delete => "del", _ => "link" });
        if (op.Kind != OpKind.Link)
        {
            w.WriteString("id", op.Id);
        }

        w.WriteNumber("seq", op.Seq);
        if (op.Kind == OpKind.Put && op.Document is { } doc)
        {
            w.WritePropertyName("doc");
            WriteDocument(w, doc);
        }

        if (op.Replayed)
        {
            w.WriteBoolean("replayed", true);
        }

        w.WriteEndObject();
    }

    private static void WriteDocument(Utf8JsonWriter w, byte[]? document)
    {
        if (document is not null)
        {
            w.WriteRawValue(document, skipInputValidation: true);
        }
        else
        {
            w.WriteNullValue();
        }
    }
}
