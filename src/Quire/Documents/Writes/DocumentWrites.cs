using System.Text.Json;
using Quire.Indexes;
using Quire.Keys;
using Quire.Storage.Engine;

namespace Quire.Documents.Writes;

/// <summary>
/// A put's or delete's writes: the document's stored form (or its removal), pinned to the
/// version the view holds and checked against <c>if_seq</c>, then its index entries
/// (<see cref="IndexWrites"/>) and expiry entry (<see cref="ExpiryWrites"/>). Later ops of
/// the batch on the same document see what earlier ones left (<see cref="DocumentState"/>).
/// </summary>
internal sealed class DocumentWrites(Snapshot view, SchemaCache schemas, PendingPreconditions preconditions, WriteBatch batch, IndexWrites indexes, long nowMs) : IDisposable
{
    private readonly KeyBuilder _key = new();
    private readonly Dictionary<byte[], DocumentState> _documents = new(ByteArrayComparer.Instance);
    private readonly Dictionary<string, CollectionSchema> _collections = new(StringComparer.Ordinal);
    private readonly List<JsonDocument> _parsed = [];

    /// <summary>
    /// Holds the batch to a check op's <c>if_seq</c>; false when the view already fails it
    /// (the sequencer still decides against the latest state).
    /// </summary>
    public bool Check(int index, DocumentOp op)
    {
        var docKey = Keyspace.Document(_key, op.Collection, op.Id).ToArray();
        if (!_documents.TryGetValue(docKey, out var state))
        {
            state = DocumentState.Read(view, docKey, nowMs, _parsed);
            _documents[docKey] = state;
            preconditions.AddRead(batch, docKey, state.ViewVersion ?? WriteBatch.Absent);
        }

        if (state.ViewSatisfies(op.IfSeq!.Value))
        {
            return true;
        }

        preconditions.AddCheck(batch, docKey, op.IfSeq.Value, index, op.Collection, op.Id);
        return false;
    }

    public void Write(WriteBatch.OpBuilder builder, int index, PreparedOp prepared)
    {
        var op = prepared.Op;
        if (!_collections.TryGetValue(op.Collection, out var schema))
        {
            var schemaKey = Keyspace.SchemaKey(op.Collection);
            _collections[op.Collection] = schema = schemas.Read(view, op.Collection, schemaKey);
            preconditions.AddRead(batch, schemaKey, schema.Version);
        }

        var docKey = Keyspace.Document(_key, op.Collection, op.Id).ToArray();
        if (!_documents.TryGetValue(docKey, out var state))
        {
            state = DocumentState.Read(view, docKey, nowMs, _parsed);
            _documents[docKey] = state;
            preconditions.AddRead(batch, docKey, state.ViewVersion ?? WriteBatch.Absent);
        }

        if (op.IfSeq is { } ifSeq && !state.ViewSatisfies(ifSeq))
        {
            preconditions.AddCheck(batch, docKey, ifSeq, index, op.Collection, op.Id);
        }

        if (prepared.Stored is { } stored)
        {
            builder.Put(docKey, stored);
        }
        else
        {
            builder.Delete(docKey);
        }

        // Index entries come from the stored form, as the old document's do; without indexes
        // neither form is parsed (the old one stays unparsed for a later op of the batch).
        if (schema.Indexes.Count > 0 || schema.HasSearch)
        {
            JsonElement? next = prepared.Parsed?.RootElement;
            indexes.Write(view, builder, _key, schema, op.Collection, op.Id, state.Current, next);
            state.Current = next;
        }

        ExpiryWrites.Write(builder, _key, op.Collection, op.Id, state.CurrentExpiry, prepared.ExpiresAt);
        state.CurrentExpiry = prepared.ExpiresAt;
    }

    /// <summary>Frees the documents parsed to read their old index entries.</summary>
    public void Dispose()
    {
        foreach (var document in _parsed)
        {
            document.Dispose();
        }
    }
}
