using System.Buffers;
using System.Security.Cryptography;
using Quire.Keys;
using Quire.OpLog;
using Quire.Storage.Engine;

namespace Quire.Documents.Writes;

/// <summary>
/// Each op's op-log entry: its record body (<see cref="OpRecordBody"/>) and the body's
/// SHA-256, which the engine links into the hash chain as it applies the op. One buffer
/// is reused across the batch's ops.
/// </summary>
internal sealed class OpLogWrites
{
    private readonly ArrayBufferWriter<byte> _body = new(1024);

    public void Write(WriteBatch.OpBuilder builder, PreparedOp prepared, string? client, long? nonce, long nowMs)
    {
        Span<byte> digest = stackalloc byte[HashChain.HashSize];
        _body.ResetWrittenCount();
        OpRecordBody.Build(prepared.Op, prepared.Stored is { } stored ? DocumentCodec.Json(stored).Span : default, client, nonce, nowMs, _body);
        SHA256.HashData(_body.WrittenSpan, digest);
        builder.Chain(Keyspace.OpLogPrefix, digest, _body.WrittenSpan);
    }
}
