using Quire.Storage.Format;
using System.Buffers;
using System.Security.Cryptography;
using Quire.Keys;
using Quire.OpLog;
using Quire.Storage.Engine;

namespace Quire.Documents.Writes;

/// <summary>
/// Each op's op-log entry: its record body (put <c>{coll, doc, id}</c>, del <c>{coll, id}</c>,
/// link <c>{frm, rel, to}</c>, written with <see cref="OpRecordBody"/>) and the body's
/// SHA-256, which the engine links into the hash chain as it applies the op. One buffer is
/// reused across the batch's ops.
/// </summary>
internal sealed class OpLogWrites
{
    private readonly ArrayBufferWriter<byte> _body = new(1024);

    public void Write(WriteBatch.OpBuilder builder, PreparedOp prepared, string? client, long? nonce, long nowMs)
    {
        Span<byte> digest = stackalloc byte[HashChain.HashSize];
        _body.ResetWrittenCount();
        Body(prepared.Op, prepared.Stored is { } stored ? DocumentCodec.Json(stored).Span : default, client, nonce, nowMs, _body);
        SHA256.HashData(_body.WrittenSpan, digest);
        builder.Chain(Keyspace.OpLogPrefix, digest, _body.WrittenSpan);
    }

    /// <summary>The record body of <paramref name="op"/>; <paramref name="storedJson"/> is a put's document as stored.</summary>
    public static void Body(DocumentOp op, ReadOnlySpan<byte> storedJson, string? client, long? nonce, long ts, IBufferWriter<byte> output)
    {
        switch (op.Kind)
        {
            case OpKind.Put:
                OpRecordBody.Start("put", client, op.Idem, nonce, output);
                OpRecordBody.Member("coll", true, output);
                CanonicalJson.WriteString(op.Collection, output);
                OpRecordBody.Member("doc", false, output);
                CanonicalJson.Write(storedJson, output);
                OpRecordBody.Member("id", false, output);
                CanonicalJson.WriteString(op.Id, output);
                break;
            case OpKind.Delete:
                OpRecordBody.Start("del", client, op.Idem, nonce, output);
                OpRecordBody.Member("coll", true, output);
                CanonicalJson.WriteString(op.Collection, output);
                OpRecordBody.Member("id", false, output);
                CanonicalJson.WriteString(op.Id, output);
                break;
            default:
                OpRecordBody.Start("link", client, op.Idem, nonce, output);
                OpRecordBody.Member("frm", true, output);
                CanonicalJson.WriteString(op.From, output);
                OpRecordBody.Member("rel", false, output);
                CanonicalJson.WriteString(op.Relation, output);
                OpRecordBody.Member("to", false, output);
                CanonicalJson.WriteString(op.To, output);
                break;
        }

        OpRecordBody.End(ts, output);
    }
}
