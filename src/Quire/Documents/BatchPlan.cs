using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text.Json;
using Quire.Indexes;
using Quire.Keys;
using Quire.OpLog;
using Quire.Storage.Engine;

namespace Quire.Documents;

/// <summary>
/// One attempt at a batch: the write batch computed against the write view, with the
/// preconditions pinning what it read, the ops it skipped as replays of an idempotency
/// key, and the nonce it takes. Each op also carries its op-log record and digest; the
/// engine links them into the hash chain as it applies them. Runs on the caller's thread.
/// </summary>
internal sealed class BatchPlan
{
    private readonly List<int> _applied = [];
    private readonly Dictionary<int, OpResult> _replayed = [];

    private BatchPlan()
    {
    }

    public PendingPreconditions Preconditions { get; } = new();

    /// <summary>The nonce the batch takes, or null without a client.</summary>
    public long? Nonce { get; private set; }

    /// <summary>The highest seq an idempotency replay refers to, or -1.</summary>
    public long HighestReplayedSeq => _replayed.Count == 0 ? -1 : _replayed.Values.Max(r => r.Seq);

    /// <summary>How many ops the write batch holds (replays are not in it).</summary>
    public int AppliedCount => _applied.Count;

    /// <summary>Fills <paramref name="batch"/> with <paramref name="ops"/> as the write view stands.</summary>
    public static BatchPlan Build(StorageEngine engine, SchemaCache schemas, Func<string, long> searchHome, IReadOnlyList<PreparedOp> ops, BatchOptions options, long nowMs, WriteBatch batch)
    {
        var plan = new BatchPlan();
        var key = new KeyBuilder();
        var documents = new Dictionary<byte[], DocumentState>(ByteArrayComparer.Instance);
        var collections = new Dictionary<string, CollectionSchema>(StringComparer.Ordinal);
        var parsed = new List<JsonDocument>();
        var before = new HashSet<byte[]>(ByteArrayComparer.Instance);
        var after = new HashSet<byte[]>(ByteArrayComparer.Instance);
        var body = new ArrayBufferWriter<byte>(1024);
        Span<byte> digest = stackalloc byte[HashChain.HashSize];
        using var view = engine.OpenWriteView();
        SearchNumbers? numbers = null;   // made on the first op of a collection with a search index
        try
        {
            var nonceWrite = plan.TakeNonce(view, options, batch);
            for (var i = 0; i < ops.Count; i++)
            {
                var prepared = ops[i];
                var op = prepared.Op;
                if (prepared.IdemKey is { } idemKey)
                {
                    if (view.TryGetVersioned(idemKey, out var used))
                    {
                        plan._replayed[i] = new OpResult(op.Kind, op.Kind == OpKind.Link ? op.From : op.Id, used.Version, Replayed: true);
                        continue;
                    }

                    plan.Preconditions.AddRead(batch, idemKey, WriteBatch.Absent);
                }

                var builder = batch.BeginOp();
                if (nonceWrite is { } nonce)
                {
                    builder.Put(nonce.Key, nonce.Value);
                    nonceWrite = null;
                }

                if (prepared.IdemKey is { } idem)
                {
                    builder.Put(idem, []);
                }

                if (op.Kind == OpKind.Link)
                {
                    builder.Put(Keyspace.Edge(key, Keyspace.LinksOut, op.From, op.Relation, op.To).Span, [])
                        .Put(Keyspace.Edge(key, Keyspace.LinksIn, op.To, op.Relation, op.From).Span, []);
                }
                else
                {
                    if (!collections.TryGetValue(op.Collection, out var schema))
                    {
                        var schemaKey = Keyspace.SchemaKey(op.Collection);
                        collections[op.Collection] = schema = schemas.Read(view, op.Collection, schemaKey);
                        plan.Preconditions.AddRead(batch, schemaKey, schema.Version);
                    }

                    var docKey = Keyspace.Document(key, op.Collection, op.Id).ToArray();
                    if (!documents.TryGetValue(docKey, out var state))
                    {
                        state = DocumentState.Read(view, docKey, nowMs, parsed);
                        documents[docKey] = state;
                        plan.Preconditions.AddRead(batch, docKey, state.ViewVersion ?? WriteBatch.Absent);
                    }

                    if (op.IfSeq is { } ifSeq && !state.ViewSatisfies(ifSeq))
                    {
                        plan.Preconditions.AddCheck(batch, docKey, ifSeq, i, op.Collection, op.Id);
                    }

                    if (prepared.Stored is { } stored)
                    {
                        builder.Put(docKey, stored);
                    }
                    else
                    {
                        builder.Delete(docKey);
                    }

                    // Index entries come from the stored form, as the old document's do.
                    JsonElement? next = prepared.Parsed?.RootElement;
                    var (number, held) = (0L, false);
                    if (schema.HasSearch)
                    {
                        numbers ??= new SearchNumbers(searchHome, (slot, version) => plan.Preconditions.AddRead(batch, slot, version));
                        number = numbers.Find(view, op.Collection, op.Id, out held);
                    }

                    foreach (var index in schema.Indexes)
                    {
                        before.Clear();
                        after.Clear();
                        IndexEntries.Collect(op.Collection, op.Id, number, state.Current, index, key, before);
                        IndexEntries.Collect(op.Collection, op.Id, number, next, index, key, after);
                        WriteDifference(builder, before, after, putUnchanged: !index.Ready);
                    }

                    if (schema.HasSearch)
                    {
                        if (next is not null && !held)
                        {
                            numbers!.Claim(builder, op.Collection, op.Id, number);
                        }
                        else if (next is null && held)
                        {
                            numbers!.Release(view, builder, op.Collection, number);
                        }
                    }

                    if (state.CurrentExpiry != prepared.ExpiresAt)
                    {
                        if (state.CurrentExpiry is { } old)
                        {
                            builder.Delete(Keyspace.ExpiryEntry(key, old, op.Collection, op.Id).Span);
                        }

                        if (prepared.ExpiresAt is { } at)
                        {
                            builder.Put(Keyspace.ExpiryEntry(key, at, op.Collection, op.Id).Span, []);
                        }
                    }

                    state.Current = next;
                    state.CurrentExpiry = prepared.ExpiresAt;
                }

                body.ResetWrittenCount();
                OpRecordBody.Build(op, prepared.Stored is { } storedForm ? DocumentCodec.Json(storedForm).Span : default, options.Client, plan.Nonce, nowMs, body);
                SHA256.HashData(body.WrittenSpan, digest);
                builder.Chain(Keyspace.OpLogPrefix, digest, body.WrittenSpan);
                builder.End();
                plan._applied.Add(i);
            }
        }
        finally
        {
            foreach (var document in parsed)
            {
                document.Dispose();
            }
        }

        return plan;
    }

    /// <summary>The batch's result once committed (or, with nothing to apply, as replayed).</summary>
    public BatchResult Result(IReadOnlyList<PreparedOp> ops, CommitResult? commit, long databaseSeq)
    {
        var results = new OpResult[ops.Count];
        foreach (var (index, result) in _replayed)
        {
            results[index] = result;
        }

        for (var n = 0; n < _applied.Count; n++)
        {
            var prepared = ops[_applied[n]];
            var op = prepared.Op;
            results[_applied[n]] = new OpResult(op.Kind, op.Kind == OpKind.Link ? op.From : op.Id, commit!.Value.FirstSeq + n) { Stored = prepared.Stored };
        }

        return new BatchResult(results, commit?.LastSeq ?? databaseSeq, commit is null ? null : Nonce);
    }

    private (byte[] Key, byte[] Value)? TakeNonce(Snapshot view, BatchOptions options, WriteBatch batch)
    {
        if (options.Client is not { } client)
        {
            if (options.Nonce is not null)
            {
                throw new InvalidOpException("a nonce needs a client");
            }

            return null;
        }

        var nonceKey = Keyspace.Client(client);
        long? last = null;
        if (view.TryGetVersioned(nonceKey, out var stored) && stored.Value is { } bytes)
        {
            last = BinaryPrimitives.ReadInt64BigEndian(bytes);
        }

        // Nonces only grow, so one at or below the last that the view holds is a replay for good.
        if (options.Nonce is { } given && last is { } previous && given <= previous)
        {
            throw new NonceReplayException(client, given, previous);
        }

        Nonce = options.Nonce ?? (last ?? 0) + 1;
        Preconditions.AddRead(batch, nonceKey, last is null ? WriteBatch.Absent : stored.Version);
        var value = new byte[8];
        BinaryPrimitives.WriteInt64BigEndian(value, Nonce.Value);
        return (nonceKey, value);
    }

    /// <summary>
    /// Deletes the old document's entries the new one lacks and puts the new one's. An index
    /// still being built may not hold the old document's entries yet (and its build skips a
    /// document written meanwhile), so there <paramref name="putUnchanged"/> puts them all.
    /// </summary>
    private static void WriteDifference(WriteBatch.OpBuilder builder, HashSet<byte[]> before, HashSet<byte[]> after, bool putUnchanged)
    {
        foreach (var entry in before)
        {
            if (!after.Contains(entry))
            {
                builder.Delete(entry);
            }
        }

        foreach (var entry in after)
        {
            if (putUnchanged || !before.Contains(entry))
            {
                builder.Put(entry, []);
            }
        }
    }

    /// <summary>A document as the batch sees it: as the view held it, then as earlier ops of the batch left it.</summary>
    private sealed class DocumentState
    {
        private DocumentState(long? viewVersion, bool viewExists)
        {
            ViewVersion = viewVersion;
            ViewExists = viewExists;
        }

        /// <summary>The version the view held (a deleted document's too), or null when never written.</summary>
        public long? ViewVersion { get; }

        /// <summary>False for a deleted or expired document.</summary>
        public bool ViewExists { get; }

        /// <summary>The stored document now, for the next op's old index entries (null when deleted).
        /// An expired document is still here: its entries go when it is overwritten.</summary>
        public JsonElement? Current { get; set; }

        /// <summary>When <see cref="Current"/> expires, for its expiry entry.</summary>
        public long? CurrentExpiry { get; set; }

        public static DocumentState Read(Snapshot view, byte[] key, long nowMs, List<JsonDocument> parsed)
        {
            if (!view.TryGetVersioned(key, out var stored))
            {
                return new DocumentState(null, false);
            }

            if (stored.Value is not { } bytes)
            {
                return new DocumentState(stored.Version, false);
            }

            var document = JsonDocument.Parse(DocumentCodec.Json(bytes));
            parsed.Add(document);
            return new DocumentState(stored.Version, !DocumentCodec.IsExpired(bytes, nowMs))
            {
                Current = document.RootElement,
                CurrentExpiry = DocumentCodec.ExpiresAt(bytes),
            };
        }

        /// <summary>True when <c>if_seq</c> holds as the view stands before the batch.</summary>
        public bool ViewSatisfies(long ifSeq) => ifSeq == WriteBatch.Absent ? !ViewExists : ViewVersion == ifSeq;
    }
}
