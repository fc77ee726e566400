using System.Text.Json;

namespace Quire.Documents;

/// <summary>
/// One op of a batch. Build it with <see cref="Put"/>, <see cref="Delete"/>,
/// <see cref="Link"/> or <see cref="Check"/>. <see cref="IfSeq"/> makes a put or delete conditional: the
/// document's version (the seq of the last op that put or deleted it) must be exactly
/// that, or with -1 the document must not exist.
/// </summary>
public sealed record DocumentOp
{
    private DocumentOp(OpKind kind)
    {
        Kind = kind;
    }

    /// <summary>What the op does.</summary>
    public OpKind Kind { get; }

    /// <summary>The collection of a put or delete.</summary>
    public string Collection { get; private init; } = "";

    /// <summary>The document id of a put or delete.</summary>
    public string Id { get; private init; } = "";

    /// <summary>The document a put writes (a JSON object).</summary>
    public JsonElement Document { get; private init; }

    /// <summary>The required version, -1 for "must not exist", or null for none.</summary>
    public long? IfSeq { get; init; }

    /// <summary>
    /// An idempotency key: once an op with this key was applied, a later op with the same
    /// key is not applied again and its result is the earlier one.
    /// </summary>
    public string? Idem { get; init; }

    /// <summary>For a put: the document expires this many seconds after the write (fractions allowed; sets <c>_expires_at</c>).</summary>
    public double? TtlSeconds { get; init; }

    /// <summary>For a put: where its content came from, stored on the document (<c>_caused_by</c>, ...).</summary>
    public Provenance? Provenance { get; init; }

    /// <summary>A link's source, <c>"coll:id"</c> by convention.</summary>
    public string From { get; private init; } = "";

    /// <summary>A link's relation name.</summary>
    public string Relation { get; private init; } = "";

    /// <summary>A link's target, <c>"coll:id"</c> by convention.</summary>
    public string To { get; private init; } = "";

    /// <summary>An op that writes <paramref name="document"/> (a JSON object) as <paramref name="id"/>.</summary>
    public static DocumentOp Put(string collection, string id, JsonElement document, long? ifSeq = null) =>
        new(OpKind.Put) { Collection = collection, Id = id, Document = document, IfSeq = ifSeq };

    /// <summary>An op that deletes a document.</summary>
    public static DocumentOp Delete(string collection, string id, long? ifSeq = null) =>
        new(OpKind.Delete) { Collection = collection, Id = id, IfSeq = ifSeq };

    /// <summary>
    /// An op that writes nothing and holds the batch to <paramref name="ifSeq"/>: the document
    /// must be at that version (-1: must not exist), or the batch is refused like any failed
    /// <c>if_seq</c>. Used to commit on condition that what was read still stands.
    /// </summary>
    public static DocumentOp Check(string collection, string id, long ifSeq) =>
        new(OpKind.Check) { Collection = collection, Id = id, IfSeq = ifSeq };

    /// <summary>An op that stores the edge <paramref name="from"/> -<paramref name="relation"/>-> <paramref name="to"/>.</summary>
    public static DocumentOp Link(string from, string relation, string to) =>
        new(OpKind.Link) { From = from, Relation = relation, To = to };
}
