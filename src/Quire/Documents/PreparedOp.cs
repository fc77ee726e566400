using System.Text.Json;
using Quire.Keys;

namespace Quire.Documents;

/// <summary>
/// An op checked and encoded before anything is read: a put's stored form (parsed again
/// from it, so its index entries come from what is stored), its expiry, and the key of
/// its idempotency record. Recomputing a batch reuses these.
/// </summary>
internal sealed class PreparedOp : IDisposable
{
    private PreparedOp(DocumentOp op)
    {
        Op = op;
    }

    public DocumentOp Op { get; }

    /// <summary>A put's stored form; null for deletes and links.</summary>
    public byte[]? Stored { get; private init; }

    private JsonDocument? _parsed;

    /// <summary>A put's document parsed from <see cref="Stored"/>, on first use (only index entries need it).</summary>
    public JsonDocument? Parsed => _parsed ??= Stored is { } stored ? JsonDocument.Parse(DocumentCodec.Json(stored)) : null;

    /// <summary>When a put's document expires (epoch ms), or null.</summary>
    public long? ExpiresAt { get; private init; }

    /// <summary>The key recording the op's idempotency key, or null.</summary>
    public byte[]? IdemKey { get; private init; }

    /// <exception cref="ArgumentException">The op is malformed (a subclass names the problem).</exception>
    public static PreparedOp Prepare(DocumentOp? op, int maxDocumentBytes, long nowMs)
    {
        if (op is null)
        {
            throw new InvalidOpException("null");
        }

        if (op.IfSeq is < -1)
        {
            throw new InvalidOpException("if_seq must be a seq (>= 0) or -1");
        }

        if (op.Idem is { Length: 0 })
        {
            throw new InvalidOpException("idem must not be empty");
        }

        var idemKey = op.Idem is null ? null : Keyspace.Idem(op.Idem);
        switch (op.Kind)
        {
            case OpKind.Put:
                Names.CheckCollection(op.Collection);
                Names.CheckId(op.Id);
                CheckIndexable(op.Document);
                var expiresAt = DocumentCodec.ExpiryOf(op.Document, op.TtlSeconds, nowMs);
                var stored = DocumentCodec.Encode(op.Id, op.Document, maxDocumentBytes, expiresAt, op.Provenance);
                return new PreparedOp(op)
                {
                    Stored = stored,
                    ExpiresAt = expiresAt,
                    IdemKey = idemKey,
                };
            case OpKind.Delete:
                Names.CheckCollection(op.Collection);
                Names.CheckId(op.Id);
                return new PreparedOp(op) { IdemKey = idemKey };
            case OpKind.Check:
                Names.CheckCollection(op.Collection);
                Names.CheckId(op.Id);
                if (op.IfSeq is null || op.Idem is not null)
                {
                    throw new InvalidOpException("a check needs if_seq and takes no idem");
                }

                return new PreparedOp(op);
            case OpKind.Link:
                Names.CheckLinkPart("frm", op.From);
                Names.CheckLinkPart("rel", op.Relation);
                Names.CheckLinkPart("to", op.To);
                return new PreparedOp(op) { IdemKey = idemKey };
            default:
                throw new InvalidOpException($"unknown op kind {op.Kind}");
        }
    }

    public void Dispose() => _parsed?.Dispose();

    /// <summary>Refuses a document holding a number the key encoding cannot hold exactly.</summary>
    private static void CheckIndexable(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Number:
                if (element.TryGetInt64(out _))
                {
                    break; // every 64-bit integer encodes exactly
                }

                try
                {
                    _ = ExactNumber.Parse(element.GetRawText());
                }
                catch (FormatException ex)
                {
                    throw new InvalidDocumentException(ex.Message, ex);
                }

                break;
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    CheckIndexable(property.Value);
                }

                break;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    CheckIndexable(item);
                }

                break;
        }
    }
}
