using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Quire.Mongo;
using Quire.Server.Service;

namespace Quire.Server.Http.Routes;

/// <summary>POST .../mongo: MongoDB-style ops on a collection, with nedbd's request and result shapes.</summary>
internal sealed class MongoRoutes(QuireService service)
{
    /// <summary><c>{collection, op, ...}</c>: the op's result plus <c>seq</c>.</summary>
    public async Task Mongo(HttpContext context, string name)
    {
        var db = service.Get(name);
        using var body = await Bodies.ReadAsync(context, service).ConfigureAwait(false);
        var (collection, op) = (RequestFields.String(body.RootElement, "collection"), RequestFields.String(body.RootElement, "op"));
        if (string.IsNullOrEmpty(collection) || string.IsNullOrEmpty(op))
        {
            throw ServiceException.BadInput("collection and op are required");
        }

        var request = JsonObject.Create(body.RootElement)!;
        var result = await CommitDeadline.RunAsync(service.Options.QueueWait, token => db.MongoAsync(collection, op, request, token), context.RequestAborted).ConfigureAwait(false);
        result["seq"] = db.Seq;
        await JsonResponse.WriteAsync(context, 200, w => result.WriteTo(w)).ConfigureAwait(false);
    }
}
