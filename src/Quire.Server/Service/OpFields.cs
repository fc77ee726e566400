using System.Text.Json;
using Quire.Documents;

namespace Quire.Server.Service;

/// <summary>
/// Builds document ops from a request's fields: the one place that knows the field names
/// of a put, delete and link (<c>coll</c>, <c>id</c>, <c>doc</c>, <c>if_seq</c>, <c>idem</c>,
/// <c>ttl_s</c>, the provenance fields, <c>frm</c>/<c>rel</c>/<c>to</c>) and of the
/// client's identity (<c>client</c>, <c>nonce</c>), whichever route or protocol carries them.
/// </summary>
internal static class OpFields
{
    /// <summary>The op of a put request (<c>{coll, id, doc, ...}</c>).</summary>
    /// <exception cref="ServiceException"><c>coll, id, and doc are required</c>, or a field of the wrong type.</exception>
    public static DocumentOp Put(JsonElement fields)
    {
        var (coll, id) = (RequestFields.String(fields, "coll"), RequestFields.String(fields, "id"));
        if (coll is null || id is null || !fields.TryGetProperty("doc", out var doc) || doc.ValueKind != JsonValueKind.Object)
        {
            throw ServiceException.BadInput("coll, id, and doc are required");
        }

        return WithCommon(DocumentOp.Put(coll, id, doc), fields, "bad request");
    }

    /// <summary>The op at <paramref name="index"/> of a batch's <c>ops</c> (<c>op</c> is put, del or link).</summary>
    /// <exception cref="ServiceException"><c>bad op at index N: ...</c>.</exception>
    public static DocumentOp BatchOp(JsonElement item, int index)
    {
        var what = $"bad op at index {index}";
        if (item.ValueKind != JsonValueKind.Object)
        {
            throw ServiceException.BadInput($"{what}: an op is an object");
        }

        var (coll, id) = (RequestFields.String(item, "coll"), RequestFields.String(item, "id"));
        DocumentOp op;
        switch (RequestFields.String(item, "op"))
        {
            case "put":
                if (coll is null || id is null || !item.TryGetProperty("doc", out var doc) || doc.ValueKind != JsonValueKind.Object)
                {
                    throw ServiceException.BadInput($"{what}: put needs coll, id and an object doc");
                }

                op = DocumentOp.Put(coll, id, doc);
                break;
            case "del" or "delete":
                op = coll is null || id is null ? throw ServiceException.BadInput($"{what}: del needs coll and id") : DocumentOp.Delete(coll, id);
                break;
            case "link":
                op = Link(item) ?? throw ServiceException.BadInput($"{what}: link needs frm, rel and to");
                break;
            default:
                throw ServiceException.BadInput($"{what}: op must be put, del or link");
        }

        return WithCommon(op, item, what);
    }

    /// <summary>The ops of a batch request's <c>ops</c> array.</summary>
    /// <exception cref="ServiceException"><c>ops array is required</c>, or a bad op.</exception>
    public static List<DocumentOp> Batch(JsonElement fields)
    {
        if (!fields.TryGetProperty("ops", out var list) || list.ValueKind != JsonValueKind.Array || list.GetArrayLength() == 0)
        {
            throw ServiceException.BadInput("ops array is required");
        }

        var ops = new List<DocumentOp>(list.GetArrayLength());
        foreach (var item in list.EnumerateArray())
        {
            ops.Add(BatchOp(item, ops.Count));
        }

        return ops;
    }

    /// <summary>The link op of <c>{frm, rel, to}</c>, or null when one of them is missing or empty.</summary>
    public static DocumentOp? Link(JsonElement fields)
    {
        var (frm, rel, to) = (RequestFields.String(fields, "frm"), RequestFields.String(fields, "rel"), RequestFields.String(fields, "to"));
        return string.IsNullOrEmpty(frm) || string.IsNullOrEmpty(rel) || string.IsNullOrEmpty(to) ? null : DocumentOp.Link(frm, rel, to);
    }

    /// <summary>Who sends the write (<c>client</c>, <c>nonce</c>), or null for an anonymous write.</summary>
    public static BatchOptions? Client(JsonElement fields)
    {
        var client = RequestFields.String(fields, "client");
        var nonce = RequestFields.Integer(fields, "nonce", "bad request");
        return client is null && nonce is null ? null : new BatchOptions { Client = client, Nonce = nonce };
    }

    /// <summary>The fields any op may carry: <c>if_seq</c>, <c>idem</c>, and for a put <c>ttl_s</c> and the provenance fields.</summary>
    private static DocumentOp WithCommon(DocumentOp op, JsonElement fields, string what)
    {
        op = op with { IfSeq = RequestFields.Integer(fields, "if_seq", what), Idem = RequestFields.String(fields, "idem") };
        if (op.Kind != OpKind.Put)
        {
            return op;
        }

        return op with
        {
            TtlSeconds = RequestFields.Number(fields, "ttl_s", what),
            Provenance = ProvenanceOf(fields, what),
        };
    }

    /// <summary>The provenance a put carries (<c>caused_by</c>, <c>evidence</c>, <c>confidence</c>, <c>valid_from</c>, <c>valid_to</c>), or null.</summary>
    private static Provenance? ProvenanceOf(JsonElement fields, string what)
    {
        var causedBy = RequestFields.Value(fields, "caused_by");
        var evidence = RequestFields.Value(fields, "evidence");
        var confidence = RequestFields.Number(fields, "confidence", what);
        var validFrom = RequestFields.Value(fields, "valid_from");
        var validTo = RequestFields.Value(fields, "valid_to");
        if (causedBy is null && evidence is null && confidence is null && validFrom is null && validTo is null)
        {
            return null;
        }

        return new Provenance
        {
            CausedBy = causedBy is { } seqs ? Seqs(seqs, what) : null,
            Evidence = evidence,
            Confidence = confidence,
            ValidFrom = validFrom is { } from ? Date(from, "valid_from", what) : null,
            ValidTo = validTo is { } to ? Date(to, "valid_to", what) : null,
        };
    }

    private static long[] Seqs(JsonElement value, string what)
    {
        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var one))
        {
            return [one];
        }

        if (value.ValueKind == JsonValueKind.Array)
        {
            var seqs = new long[value.GetArrayLength()];
            var n = 0;
            foreach (var item in value.EnumerateArray())
            {
                seqs[n++] = item.ValueKind == JsonValueKind.Number && item.TryGetInt64(out var seq) && seq >= 0
                    ? seq
                    : throw ServiceException.BadInput($"{what}: caused_by must be a list of seqs");
            }

            return seqs;
        }

        throw ServiceException.BadInput($"{what}: caused_by must be a list of seqs");
    }

    private static string Date(JsonElement value, string name, string what) =>
        value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } date
            ? date
            : throw ServiceException.BadInput($"{what}: {name} must be an ISO date string");
}
