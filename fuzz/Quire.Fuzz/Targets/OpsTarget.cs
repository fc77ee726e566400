using Quire.Server.Http;
using Quire.Server.Service;

namespace Quire.Fuzz.Targets;

/// <summary>A JSON request body as <c>put</c> and <c>batch</c> read it: checked, turned into ops and committed.</summary>
internal sealed class OpsTarget : IFuzzTarget
{

    public string Name => "ops";

    public void Run(byte[] input)
    {
        try
        {
            using var body = RequestBody.ParseObject(input);
            var root = body.RootElement;
            var ops = root.TryGetProperty("ops", out _) ? OpFields.Batch(root) : [OpFields.Put(root)];
            FuzzDatabase.Shared.BatchAsync(ops, OpFields.Client(root)).GetAwaiter().GetResult();
        }
        catch (Exception ex) when (Rejection.IsClientError(ex))
        {
            // Not JSON, not an object, a bad op, a refused precondition: a 4xx.
        }
    }
}
