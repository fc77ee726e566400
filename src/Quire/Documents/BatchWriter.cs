using System.Text.Json;
using Quire.Indexes;
using Quire.Keys;
using Quire.Storage.Engine;
using StoragePreconditionFailed = Quire.Storage.Engine.PreconditionFailedException;

namespace Quire.Documents;

/// <summary>
/// Turns a batch of document ops into one atomic commit. On the caller's thread it reads
/// the latest applied state (the write view), computes each document's stored form and
/// the index entries to remove and add, and pins every version it read with a
/// precondition. The sequencer then checks those against the latest state: if a
/// document or schema moved meanwhile, the batch is computed again; if only callers'
/// <c>if_seq</c>s failed, the batch is refused with every failure listed.
/// </summary>
internal sealed class BatchWriter
{
    /// <summary>How often a batch is recomputed because the documents it read kept moving, before giving up.</summary>
    public const int MaxAttempts = 1000;

    private readonly StorageEngine _engine;
    private readonly SchemaCache _schemas;
    private readonly int _maxDocumentBytes;

    public BatchWriter(StorageEngine engine, SchemaCache schemas, int maxDocumentBytes)
    {
        _engine = engine;
        _schemas = schemas;
        _maxDocumentBytes = maxDocumentBytes;
    }

    public async Task<BatchResult> WriteAsync(IReadOnlyList<DocumentOp> ops, CancellationToken cancellationToken)
    {
        var stored = Prepare(ops);
        try
        {
            return await CommitAsync(ops, stored, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            foreach (var document in stored)
            {
                document?.Parsed.Dispose();
            }
        }
    }

    private async Task<BatchResult> CommitAsync(IReadOnlyList<DocumentOp> ops, StoredForm?[] stored, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            using var batch = new WriteBatch();
            var preconditions = Build(ops, stored, batch);
            try
            {
                var commit = await _engine.CommitAsync(batch, cancellationToken: cancellationToken).ConfigureAwait(false);
                return Result(ops, commit);
            }
            catch (StoragePreconditionFailed ex)
            {
                var failures = preconditions.Final(ex.Failures);
                if (failures is not null)
                {
                    throw new PreconditionFailedException(failures, _engine.LastSeq);
                }

                if (attempt == MaxAttempts)
                {
                    throw new TimeoutException($"the batch was recomputed {MaxAttempts} times because the documents it reads kept changing");
                }
            }
        }
    }

    /// <summary>Checks every op and encodes each put's document, before anything is read.</summary>
    private StoredForm?[] Prepare(IReadOnlyList<DocumentOp> ops)
    {
        var stored = new StoredForm?[ops.Count];
        try
        {
            for (var i = 0; i < ops.Count; i++)
            {
                try
                {
                    stored[i] = Prepare(ops[i] ?? throw new InvalidOpException("null"));
                }
                catch (ArgumentException ex) when (ops.Count > 1)
                {
                    throw new InvalidOpException($"bad op at index {i}: {ex.Message}");
                }
            }

            return stored;
        }
        catch
        {
            foreach (var document in stored)
            {
                document?.Parsed.Dispose();
            }

            throw;
        }
    }

    private StoredForm? Prepare(DocumentOp op)
    {
        if (op.IfSeq is < -1)
        {
            throw new InvalidOpException("if_seq must be a seq (>= 0) or -1");
        }

        switch (op.Kind)
        {
            case OpKind.Put:
                Names.CheckCollection(op.Collection);
                Names.CheckId(op.Id);
                CheckIndexable(op.Document);
                var bytes = DocumentCodec.Encode(op.Id, op.Document, _maxDocumentBytes);
                return new StoredForm(bytes, JsonDocument.Parse(bytes));
            case OpKind.Delete:
                Names.CheckCollection(op.Collection);
                Names.CheckId(op.Id);
                return null;
            case OpKind.Link:
                Names.CheckLinkPart("frm", op.From);
                Names.CheckLinkPart("rel", op.Relation);
                Names.CheckLinkPart("to", op.To);
                return null;
            default:
                throw new InvalidOpException($"unknown op kind {op.Kind}");
        }
    }

    /// <summary>Fills <paramref name="batch"/> against the write view and returns the preconditions it carries.</summary>
    private PendingPreconditions Build(IReadOnlyList<DocumentOp> ops, StoredForm?[] stored, WriteBatch batch)
    {
        var preconditions = new PendingPreconditions();
        var key = new KeyBuilder();
        var documents = new Dictionary<byte[], DocumentState>(ByteArrayComparer.Instance);
        var schemas = new Dictionary<string, CollectionSchema>(StringComparer.Ordinal);
        var parsed = new List<JsonDocument>();
        var before = new HashSet<byte[]>(ByteArrayComparer.Instance);
        var after = new HashSet<byte[]>(ByteArrayComparer.Instance);
        using var view = _engine.OpenWriteView();
        try
        {
            for (var i = 0; i < ops.Count; i++)
            {
                var op = ops[i];
                if (op.Kind == OpKind.Link)
                {
                    batch.BeginOp()
                        .Put(Keyspace.Edge(key, Keyspace.LinksOut, op.From, op.Relation, op.To).Span, [])
                        .Put(Keyspace.Edge(key, Keyspace.LinksIn, op.To, op.Relation, op.From).Span, [])
                        .End();
                    continue;
                }

                if (!schemas.TryGetValue(op.Collection, out var schema))
                {
                    var schemaKey = Keyspace.SchemaKey(op.Collection);
                    schemas[op.Collection] = schema = _schemas.Read(view, op.Collection, schemaKey);
                    preconditions.AddRead(batch, schemaKey, schema.Version);
                }

                var docKey = Keyspace.Document(key, op.Collection, op.Id).ToArray();
                if (!documents.TryGetValue(docKey, out var state))
                {
                    state = DocumentState.Read(view, docKey, parsed);
                    documents[docKey] = state;
                    preconditions.AddRead(batch, docKey, state.ViewVersion ?? WriteBatch.Absent);
                }

                if (op.IfSeq is { } ifSeq && !state.ViewSatisfies(ifSeq))
                {
                    preconditions.AddCheck(batch, docKey, ifSeq, i, op.Collection, op.Id);
                }

                // Index entries come from the stored form, as the old document's do.
                JsonElement? next = stored[i]?.Parsed.RootElement;
                var builder = batch.BeginOp();
                if (stored[i] is { } put)
                {
                    builder.Put(docKey, put.Bytes);
                }
                else
                {
                    builder.Delete(docKey);
                }

                foreach (var index in schema.Indexes)
                {
                    before.Clear();
                    after.Clear();
                    IndexEntries.Collect(op.Collection, op.Id, state.Current, index, key, before);
                    IndexEntries.Collect(op.Collection, op.Id, next, index, key, after);
                    foreach (var entry in before)
                    {
                        if (!after.Contains(entry))
                        {
                            builder.Delete(entry);
                        }
                    }

                    foreach (var entry in after)
                    {
                        if (!before.Contains(entry))
                        {
                            builder.Put(entry, []);
                        }
                    }
                }

                builder.End();
                state.Current = next;
            }
        }
        finally
        {
            foreach (var document in parsed)
            {
                document.Dispose();
            }
        }

        return preconditions;
    }

    private static BatchResult Result(IReadOnlyList<DocumentOp> ops, CommitResult commit)
    {
        var results = new OpResult[ops.Count];
        for (var i = 0; i < ops.Count; i++)
        {
            var op = ops[i];
            results[i] = new OpResult(op.Kind, op.Kind == OpKind.Link ? op.From : op.Id, commit.FirstSeq + i);
        }

        return new BatchResult(results, commit.LastSeq);
    }

    /// <summary>Refuses a document holding a number the key encoding cannot hold exactly.</summary>
    private static void CheckIndexable(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Number:
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

    /// <summary>A put's document as stored, and parsed for its index entries.</summary>
    private sealed record StoredForm(byte[] Bytes, JsonDocument Parsed);

    /// <summary>A document as the batch sees it: as the view held it, then as earlier ops of the batch left it.</summary>
    private sealed class DocumentState
    {
        private DocumentState(long? viewVersion, bool viewExists, JsonElement? current)
        {
            ViewVersion = viewVersion;
            ViewExists = viewExists;
            Current = current;
        }

        /// <summary>The version the view held (a deleted document's too), or null when never written.</summary>
        public long? ViewVersion { get; }

        public bool ViewExists { get; }

        /// <summary>The document now, for the next op's old index entries (null when absent).</summary>
        public JsonElement? Current { get; set; }

        public static DocumentState Read(Snapshot view, byte[] key, List<JsonDocument> parsed)
        {
            if (!view.TryGetVersioned(key, out var stored))
            {
                return new DocumentState(null, false, null);
            }

            if (stored.Value is null)
            {
                return new DocumentState(stored.Version, false, null);
            }

            var document = JsonDocument.Parse(stored.Value);
            parsed.Add(document);
            return new DocumentState(stored.Version, true, document.RootElement);
        }

        /// <summary>True when <c>if_seq</c> holds as the view stands before the batch.</summary>
        public bool ViewSatisfies(long ifSeq) => ifSeq == WriteBatch.Absent ? !ViewExists : ViewVersion == ifSeq;
    }
}
