using System.Buffers;
using Quire.Server.Resp;

namespace Quire.Fuzz.Targets;

/// <summary>
/// RESP bytes as a connection reads them: commands parsed one after another until the bytes
/// run out or break the protocol. The parser never throws, and always moves on or stops.
/// </summary>
internal sealed class RespTarget : IFuzzTarget
{
    public string Name => "resp";

    public void Run(byte[] input)
    {
        var buffer = new ReadOnlySequence<byte>(input);
        while (!buffer.IsEmpty)
        {
            var parse = RespParser.TryRead(buffer, maxBulkBytes: 1 << 20, out _, out var consumed, out _);
            if (parse != RespParse.Complete)
            {
                return;
            }

            var rest = buffer.Slice(consumed);
            if (rest.Length >= buffer.Length)
            {
                throw new InvalidOperationException("the parser read a command without consuming anything");
            }

            buffer = rest;
        }
    }
}
