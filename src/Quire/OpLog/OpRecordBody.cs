using System.Buffers;
using System.Globalization;
using Quire.Documents;

namespace Quire.OpLog;

/// <summary>
/// Builds an op's record body, the RFC 8785 JSON of <c>{client, idem, nonce, op, payload, ts}</c>
/// (members in canonical order), whose SHA-256 is the digest the hash chain links.
/// </summary>
internal static class OpRecordBody
{
    /// <param name="op">The op.</param>
    /// <param name="storedJson">A put's document as stored (UTF-8 JSON with <c>_id</c>), else empty.</param>
    /// <param name="client">The batch's client, or null.</param>
    /// <param name="nonce">The batch's nonce, or null.</param>
    /// <param name="ts">The write's time, epoch ms.</param>
    /// <param name="output">Where the body is written.</param>
    public static void Build(DocumentOp op, ReadOnlySpan<byte> storedJson, string? client, long? nonce, long ts, IBufferWriter<byte> output)
    {
        output.Write("{\"client\":"u8);
        String(client, output);
        output.Write(",\"idem\":"u8);
        String(op.Idem, output);
        output.Write(",\"nonce\":"u8);
        Integer(nonce, output);
        output.Write(",\"op\":"u8);
        switch (op.Kind)
        {
            case OpKind.Put:
                output.Write("\"put\",\"payload\":{\"coll\":"u8);
                CanonicalJson.WriteString(op.Collection, output);
                output.Write(",\"doc\":"u8);
                CanonicalJson.Write(storedJson, output);
                output.Write(",\"id\":"u8);
                CanonicalJson.WriteString(op.Id, output);
                break;
            case OpKind.Delete:
                output.Write("\"del\",\"payload\":{\"coll\":"u8);
                CanonicalJson.WriteString(op.Collection, output);
                output.Write(",\"id\":"u8);
                CanonicalJson.WriteString(op.Id, output);
                break;
            default:
                output.Write("\"link\",\"payload\":{\"frm\":"u8);
                CanonicalJson.WriteString(op.From, output);
                output.Write(",\"rel\":"u8);
                CanonicalJson.WriteString(op.Relation, output);
                output.Write(",\"to\":"u8);
                CanonicalJson.WriteString(op.To, output);
                break;
        }

        output.Write("},\"ts\":"u8);
        Integer(ts, output);
        output.Write("}"u8);
    }

    /// <summary>The body of a file version's op: <c>put_file</c> with <c>{name, root, size, tier, version}</c>, no client.</summary>
    public static void BuildFile(string name, string tier, long version, string root, long size, long ts, IBufferWriter<byte> output)
    {
        output.Write("{\"client\":null,\"idem\":null,\"nonce\":null,\"op\":\"put_file\",\"payload\":{\"name\":"u8);
        CanonicalJson.WriteString(name, output);
        output.Write(",\"root\":"u8);
        CanonicalJson.WriteString(root, output);
        output.Write(",\"size\":"u8);
        Integer(size, output);
        output.Write(",\"tier\":"u8);
        CanonicalJson.WriteString(tier, output);
        output.Write(",\"version\":"u8);
        Integer(version, output);
        output.Write("},\"ts\":"u8);
        Integer(ts, output);
        output.Write("}"u8);
    }

    private static void String(string? value, IBufferWriter<byte> output)
    {
        if (value is null)
        {
            output.Write("null"u8);
        }
        else
        {
            CanonicalJson.WriteString(value, output);
        }
    }

    private static void Integer(long? value, IBufferWriter<byte> output)
    {
        if (value is not { } number)
        {
            output.Write("null"u8);
            return;
        }

        var span = output.GetSpan(20);
        number.TryFormat(span, out var written, default, CultureInfo.InvariantCulture);
        output.Advance(written);
    }
}
