using System.Buffers;
using Quire.Server.Http;

namespace Quire.Fuzz.Targets;

/// <summary>A MessagePack request body (<c>Content-Type: application/msgpack</c>): turned into JSON and read as a body.</summary>
internal sealed class MessagePackTarget : IFuzzTarget
{
    public string Name => "msgpack";

    public void Run(byte[] input)
    {
        try
        {
            using var body = RequestBody.ParseObject(MessagePackJson.ToJson(new ReadOnlySequence<byte>(input)));
        }
        catch (Exception ex) when (Rejection.IsClientError(ex))
        {
            // Not MessagePack, or not a map of JSON values: a 400.
        }
    }
}
