using System.Globalization;
using System.Text;
using System.Text.Json;
using Quire.Documents;

namespace Quire.OpLog;

/// <summary>
/// Builds an op's record body, the RFC 8785 JSON of <c>{client, idem, nonce, op, payload, ts}</c>
/// (members in canonical order), whose SHA-256 is the digest the hash chain links.
/// </summary>
internal static class OpRecordBody
{
    /// <param name="op">The op.</param>
    /// <param name="stored">A put's document as stored (with <c>_id</c>), else null.</param>
    /// <param name="client">The batch's client, or null.</param>
    /// <param name="nonce">The batch's nonce, or null.</param>
    /// <param name="ts">The write's time, epoch ms.</param>
    public static byte[] Build(DocumentOp op, JsonElement? stored, string? client, long? nonce, long ts)
    {
        var text = new StringBuilder(256);
        text.Append("{\"client\":");
        String(client, text);
        text.Append(",\"idem\":");
        String(op.Idem, text);
        text.Append(",\"nonce\":").Append(nonce is { } n ? n.ToString(CultureInfo.InvariantCulture) : "null");
        text.Append(",\"op\":");
        switch (op.Kind)
        {
            case OpKind.Put:
                text.Append("\"put\",\"payload\":{\"coll\":");
                CanonicalJson.WriteString(op.Collection, text);
                text.Append(",\"doc\":");
                CanonicalJson.Write(stored!.Value, text);
                text.Append(",\"id\":");
                CanonicalJson.WriteString(op.Id, text);
                break;
            case OpKind.Delete:
                text.Append("\"del\",\"payload\":{\"coll\":");
                CanonicalJson.WriteString(op.Collection, text);
                text.Append(",\"id\":");
                CanonicalJson.WriteString(op.Id, text);
                break;
            default:
                text.Append("\"link\",\"payload\":{\"frm\":");
                CanonicalJson.WriteString(op.From, text);
                text.Append(",\"rel\":");
                CanonicalJson.WriteString(op.Relation, text);
                text.Append(",\"to\":");
                CanonicalJson.WriteString(op.To, text);
                break;
        }

        text.Append("},\"ts\":").Append(ts.ToString(CultureInfo.InvariantCulture)).Append('}');
        return Encoding.UTF8.GetBytes(text.ToString());
    }

    private static void String(string? value, StringBuilder text)
    {
        if (value is null)
        {
            text.Append("null");
        }
        else
        {
            CanonicalJson.WriteString(value, text);
        }
    }
}
