using System.Text.Json.Nodes;
using Quire.Mongo;
using Quire.Server.Http;
using Quire.Server.Service;

namespace Quire.Fuzz.Targets;

/// <summary>A <c>POST .../mongo</c> body: <c>{collection, op, filter, update, ...}</c> run against a small database.</summary>
internal sealed class MongoTarget : IFuzzTarget
{

    public string Name => "mongo";

    public void Run(byte[] input)
    {
        try
        {
            using var body = RequestBody.ParseObject(input);
            var (collection, op) = (RequestFields.String(body.RootElement, "collection"), RequestFields.String(body.RootElement, "op"));
            if (string.IsNullOrEmpty(collection) || string.IsNullOrEmpty(op))
            {
                return;   // the route's 400
            }

            FuzzDatabase.Shared.MongoAsync(collection, op, JsonObject.Create(body.RootElement)!).GetAwaiter().GetResult();
        }
        catch (Exception ex) when (Rejection.IsClientError(ex))
        {
            // A bad filter, update or op: a 400.
        }
    }
}
