using System.Buffers;
using System.Globalization;

namespace Quire.OpLog;

/// <summary>
/// Writes an op's record body, the RFC 8785 JSON of <c>{client, idem, nonce, op, payload, ts}</c>
/// (members in canonical order), whose SHA-256 is the digest the hash chain links. The
/// writer of each kind of op writes its payload's members between <see cref="Start"/> and
/// <see cref="End"/>, in canonical (sorted) order.
/// </summary>
internal static class OpRecordBody
{
    /// <summary>Writes <c>{"client":..,"idem":..,"nonce":..,"op":"&lt;op&gt;","payload":{</c>.</summary>
    public static void Start(string op, string? client, string? idem, long? nonce, IBufferWriter<byte> output)
    {
        output.Write("{\"client\":"u8);
        String(client, output);
        output.Write(",\"idem\":"u8);
        String(idem, output);
        output.Write(",\"nonce\":"u8);
        Integer(nonce, output);
        output.Write(",\"op\":"u8);
        CanonicalJson.WriteString(op, output);
        output.Write(",\"payload\":{"u8);
    }

    /// <summary>Writes one payload member, <c>"name":</c>, with a comma before it unless it is the first.</summary>
    public static void Member(string name, bool first, IBufferWriter<byte> output)
    {
        if (!first)
        {
            output.Write(","u8);
        }

        CanonicalJson.WriteString(name, output);
        output.Write(":"u8);
    }

    /// <summary>Writes <c>},"ts":&lt;ts&gt;}</c>: the payload's end and the write's time (epoch ms).</summary>
    public static void End(long ts, IBufferWriter<byte> output)
    {
        output.Write("},\"ts\":"u8);
        Integer(ts, output);
        output.Write("}"u8);
    }

    /// <summary>The body of a file version's op: <c>put_file</c> with <c>{name, root, size, tier, version}</c>, no client.</summary>
    public static void BuildFile(string name, string tier, long version, string root, long size, long ts, IBufferWriter<byte> output)
    {
        Start("put_file", null, null, null, output);
        Member("name", true, output);
        CanonicalJson.WriteString(name, output);
        Member("root", false, output);
        CanonicalJson.WriteString(root, output);
        Member("size", false, output);
        Integer(size, output);
        Member("tier", false, output);
        CanonicalJson.WriteString(tier, output);
        Member("version", false, output);
        Integer(version, output);
        End(ts, output);
    }

    /// <summary>A JSON string, or null.</summary>
    public static void String(string? value, IBufferWriter<byte> output)
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

    /// <summary>A JSON integer, or null.</summary>
    public static void Integer(long? value, IBufferWriter<byte> output)
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
