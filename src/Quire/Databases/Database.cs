using System.Text.Json;
using Quire.Documents;
using Quire.Indexes;
using Quire.Keys;
using Quire.OpLog;
using Quire.Query;
using Quire.Storage.Engine;

namespace Quire.Databases;

/// <summary>
/// One database: collections of JSON documents and their indexes in one ordered
/// keyspace over one storage engine. Every write (a put, delete or link, or an atomic
/// batch of them) is one commit that carries the document and every index entry derived
/// from it. Thread-safe; open and create it through <see cref="DatabaseCatalog"/>.
/// </summary>
public sealed partial class Database : IDisposable
{
    private readonly SchemaCache _schemas = new();
    private readonly ChangeSignal _changes = new();
    private readonly BatchWriter _writer;
    private readonly IndexBuilder _builder;
    private readonly DatabaseOptions _options;
    private readonly CancellationTokenSource _closing = new();
    private static readonly BatchOptions NoOptions = new();
    private readonly List<Task> _builds = [];
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string, uint), string> _buildErrors = new();
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string, string), bool> _autoIndexed = new();
    private readonly ExpiryReaper _reaper;
    private readonly OpLogPruner _pruner;
    private readonly HistoryReclaimer _history;
    private readonly MaintenanceLoop _maintenance;
    private int _disposed;

    private Database(string name, string directory, StorageEngine engine, DatabaseOptions options)
    {
        Name = name;
        Directory = directory;
        Engine = engine;
        _options = options;
        _writer = new BatchWriter(engine, _schemas, options.MaxDocumentBytes, options.Clock, options.SearchHome, _changes.Notify);
        _builder = new IndexBuilder(engine, _schemas, options.SearchHome);
        _reaper = new ExpiryReaper(this);
        _pruner = new OpLogPruner(engine, options.OpLogRetention);
        _history = new HistoryReclaimer(engine, options);
        _maintenance = options.SweepExpired
            ? new MaintenanceLoop(options.Clock, options.ExpiryScanInterval, _reaper.ReapDueAsync, _pruner.PruneDueAsync, _history.ReclaimDueAsync)
            : new MaintenanceLoop(options.Clock, options.ExpiryScanInterval, _pruner.PruneDueAsync, _history.ReclaimDueAsync);
    }

    /// <summary>The options it was opened with.</summary>
    internal DatabaseOptions Options => _options;

    /// <summary>The database's name.</summary>
    public string Name { get; }

    /// <summary>The directory holding its files.</summary>
    public string Directory { get; }

    /// <summary>The storage engine underneath: the documents layer's alone (callers read <see cref="Stats"/>).</summary>
    internal StorageEngine Engine { get; }

    /// <summary>What the engine has done since the database opened.</summary>
    public DatabaseStats Stats
    {
        get
        {
            var stats = Engine.Stats;
            return new DatabaseStats(
                Engine.LastSeq,
                stats.Commits,
                stats.Groups,
                Engine.QueueDepth,
                stats.QueueFullWaits,
                stats.Syncs,
                stats.MeanSyncLatency,
                stats.MaxSyncLatency,
                stats.Checkpoints,
                stats.CheckpointPages,
                stats.LastCheckpoint?.Bytes ?? 0,
                Engine.PagesRead,
                Engine.Failure is not null);
        }
    }

    /// <summary>The database's clock, epoch milliseconds: what TTLs are measured by.</summary>
    internal long NowMs => _options.Clock.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>The seq of the last visible op, or -1 for a database without ops.</summary>
    public long Seq => Engine.LastSeq;

    /// <summary>Writes the header of a new database in <paramref name="directory"/>; open it afterwards.</summary>
    internal static void Create(string directory, DatabaseOptions options) => FormatRecord.Write(directory, options.Storage.FileSystem);

    /// <summary>Opens an existing database, checks its formats and resumes unfinished index builds.</summary>
    internal static Database Open(string name, string directory, DatabaseOptions options)
    {
        var documentsVersion = FormatRecord.Check(directory, options.Storage.FileSystem);
        var engine = StorageEngine.Open(directory, options.Storage with
        {
            KeepHistory = options.KeepHistory,
            OnFailed = options.OnBackgroundFailure is { } report
                ? failure => report($"database {name}: storage failed{(failure.DiskFull ? " (the disk is full)" : "")}; it takes no writes until the server is restarted", failure)
                : null,
        });
        try
        {
            var database = new Database(name, directory, engine, options);
            if (documentsVersion < FormatRecord.DocumentsVersion)
            {
                // Before anything else reads or writes: documents of form 1 hold expiries in ms.
                ExpiryUnitsUpgrade.RunAsync(database, CancellationToken.None).GetAwaiter().GetResult();
                FormatRecord.Write(directory, options.Storage.FileSystem);
            }

            if (options.ReplicaOf is { } primary)
            {
                // Everything a replica holds comes from its primary's log, its seqs included.
                engine.ReadOnlyReason = $"read-only replica of {primary}";
                return database;
            }

            database._maintenance.Start();
            database.ResumeIndexWork();
            return database;
        }
        catch
        {
            engine.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Commits <paramref name="ops"/> atomically: all of them or, when an <c>if_seq</c>
    /// fails, none (<see cref="Documents.PreconditionFailedException"/> lists every failure).
    /// Ops apply in order and each takes its own seq.
    /// </summary>
    /// <exception cref="InvalidOpException">An op is malformed; nothing was applied.</exception>
    /// <exception cref="InvalidDocumentException">A document is not an object or too large; nothing was applied.</exception>
    /// <exception cref="NonceReplayException">The client's nonce is not greater than its last; nothing was applied.</exception>
    public Task<BatchResult> BatchAsync(IReadOnlyList<DocumentOp> ops, BatchOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ops);
        if (ops.Count == 0)
        {
            throw new InvalidOpException("ops array is required");
        }

        if (ops.Count > _options.MaxBatchOps)
        {
            throw new InvalidOpException($"a batch of {ops.Count} ops exceeds the limit of {_options.MaxBatchOps}");
        }

        return _writer.WriteAsync(ops, options ?? NoOptions, cancellationToken);
    }

    /// <summary>Commits one op (see <see cref="BatchAsync"/>) and returns its result.</summary>
    public async Task<OpResult> WriteAsync(DocumentOp op, BatchOptions? options = null, CancellationToken cancellationToken = default) =>
        (await BatchAsync([op], options, cancellationToken).ConfigureAwait(false)).Results[0];

    /// <summary>Writes a document (creating or replacing it) and returns it as stored.</summary>
    public async Task<Document> PutAsync(string collection, string id, JsonElement document, long? ifSeq = null, CancellationToken cancellationToken = default)
    {
        var result = await WriteAsync(DocumentOp.Put(collection, id, document, ifSeq), cancellationToken: cancellationToken).ConfigureAwait(false);
        return new Document(collection, id, result.Seq, result.Document ?? throw new InvalidOperationException("a put without an idempotency key is always applied"));
    }

    /// <summary>Deletes a document and returns the delete's seq (deleting a missing document is an op too).</summary>
    public async Task<long> DeleteAsync(string collection, string id, long? ifSeq = null, CancellationToken cancellationToken = default) =>
        (await WriteAsync(DocumentOp.Delete(collection, id, ifSeq), cancellationToken: cancellationToken).ConfigureAwait(false)).Seq;

    /// <summary>Stores the edge <paramref name="from"/> -<paramref name="relation"/>-> <paramref name="to"/> and returns its seq.</summary>
    public async Task<long> LinkAsync(string from, string relation, string to, CancellationToken cancellationToken = default) =>
        (await WriteAsync(DocumentOp.Link(from, relation, to), cancellationToken: cancellationToken).ConfigureAwait(false)).Seq;

    /// <summary>The document, or null when it does not exist (or has expired).</summary>
    public Document? Get(string collection, string id)
    {
        Names.CheckCollection(collection);
        Names.CheckId(id);
        var key = Keyspace.Document(new KeyBuilder(), collection, id).Span;
        if (!Engine.TryGetVersioned(key, out var stored) || stored.Value is null || DocumentCodec.IsExpired(stored.Value, NowMs))
        {
            return null;
        }

        return new Document(collection, id, stored.Version, DocumentCodec.WithSeq(stored.Value, stored.Version));
    }

    /// <summary>The names of the collections holding documents, in order.</summary>
    public IReadOnlyList<string> Collections()
    {
        var names = new List<string>();
        var key = new KeyBuilder();
        byte[] from = [Keyspace.Collections];
        var end = new byte[] { Keyspace.Collections + 1 };
        using var snapshot = Engine.OpenSnapshot();
        while (true)
        {
            var first = snapshot.Scan(from, end).FirstOrDefault();
            if (first is null)
            {
                return names;
            }

            var reader = new KeyReader(first.Key);
            reader.Byte();
            var name = reader.String();
            names.Add(name);
            from = Keyspace.End(key.Clear().Byte(Keyspace.Collections).String(name).Span);
        }
    }

    /// <summary>Deletes the documents that have expired now (the reaper does this every <see cref="DatabaseOptions.ExpiryScanInterval"/>); returns how many.</summary>
    public Task<int> ReapExpiredAsync(CancellationToken cancellationToken = default) => _reaper.ReapDueAsync(cancellationToken);

    /// <summary>The last visible seq and the hash chain's head as of it (lower-case hex), read together.</summary>
    public (long Seq, string Head) Head
    {
        get
        {
            var (seq, head) = Engine.ChainHead;
            return (seq, Convert.ToHexStringLower(head));
        }
    }

    /// <summary>The most recent <paramref name="limit"/> ops of the op log, newest first.</summary>
    public IReadOnlyList<OpRecord> ReadLog(int limit) => EnumerateLog(limit).ToList();

    /// <summary>
    /// The most recent <paramref name="limit"/> ops of the op log, newest first, read from one
    /// snapshot as they are enumerated (so a long log can be sent on without being held whole).
    /// </summary>
    public IEnumerable<OpRecord> EnumerateLog(int limit)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        return Enumerate(limit);

        IEnumerable<OpRecord> Enumerate(int limit)
        {
            using var snapshot = Engine.OpenSnapshot();
            foreach (var record in OpLogReader.Recent(snapshot, limit))
            {
                yield return record;
            }
        }
    }

    /// <summary>Recomputes the hash chain over the retained op log and checks it ends at the head.</summary>
    public VerifyResult Verify()
    {
        using var snapshot = Engine.OpenSnapshot();
        var problem = OpLogReader.Verify(snapshot, out var records);
        return new VerifyResult(problem is null, snapshot.Seq, Convert.ToHexStringLower(snapshot.ChainHead), records, problem);
    }

    /// <summary>Deletes op-log records past <see cref="DatabaseOptions.OpLogRetention"/> (done in the background too); returns how many.</summary>
    public Task<int> PruneOpLogAsync(CancellationToken cancellationToken = default) => _pruner.PruneAsync(cancellationToken);

    /// <summary>
    /// Runs an NQL query on one snapshot (docs/nql.md) and collects its rows. An
    /// <c>EXPLAIN</c> query returns one row: its plan.
    /// </summary>
    /// <exception cref="NqlSyntaxException">The text does not parse.</exception>
    /// <exception cref="NqlException">It cannot run (an unsupported clause, SEARCH without a search index).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled while it read.</exception>
    public QueryResult Query(string nql, CancellationToken cancellationToken = default)
    {
        using var cursor = OpenQuery(nql, cancellationToken);
        var rows = cursor.Rows.ToList();
        return new QueryResult(rows, cursor.Seq, cursor.Head, cursor.Examined);
    }

    /// <summary>
    /// Starts an NQL query on one snapshot: its rows are read as the cursor's
    /// <see cref="QueryCursor.Rows"/> are enumerated (all at once where it sorts or groups
    /// without an index), so a large answer can be sent on without being held whole.
    /// Dispose the cursor to let go of the snapshot.
    /// </summary>
    /// <exception cref="NqlSyntaxException">The text does not parse.</exception>
    /// <exception cref="NqlException">It cannot run (an unsupported clause, SEARCH without a search index).</exception>
    public QueryCursor OpenQuery(string nql, CancellationToken cancellationToken = default)
    {
        var query = NqlParser.Parse(nql);
        var snapshot = OpenView(query);
        try
        {
            var (schema, plan) = Plan(query, snapshot);
            var head = snapshot.IsAsOf ? OpLogReader.HeadAt(snapshot) : Convert.ToHexStringLower(snapshot.ChainHead);
            if (query.Explain)
            {
                var buffer = new System.Buffers.ArrayBufferWriter<byte>();
                using (var writer = new Utf8JsonWriter(buffer))
                {
                    plan.WriteTo(writer);
                }

                return new QueryCursor(snapshot, head, [buffer.WrittenSpan.ToArray()], () => 0);
            }

            var executor = new QueryExecutor(snapshot, plan, schema, NowMs, cancellationToken);
            return new QueryCursor(snapshot, head, ThenConsiderIndex(executor.Run(), executor, query, schema), () => executor.Examined);
        }
        catch
        {
            snapshot.Dispose();
            throw;
        }
    }

    /// <summary>The rows, then (once all are read) an automatic index where the query read more documents than <see cref="DatabaseOptions.AutoIndexScanThreshold"/>.</summary>
    private IEnumerable<byte[]> ThenConsiderIndex(IEnumerable<byte[]> rows, QueryExecutor executor, NqlQuery query, CollectionSchema schema)
    {
        foreach (var row in rows)
        {
            yield return row;
        }

        if (_options.AutoIndexes && !IsReplica && executor.Examined > _options.AutoIndexScanThreshold && query.AsOf is null)
        {
            ConsiderAutoIndex(query, schema);
        }
    }

    /// <summary>The plan the query would run with (what <c>EXPLAIN</c> shows).</summary>
    public QueryPlan Explain(string nql)
    {
        var query = NqlParser.Parse(nql);
        using var snapshot = OpenView(query);
        return Plan(query, snapshot).Plan;
    }

    /// <summary>The view a query reads: now, or as of its <c>AS OF</c> seq (schemas and indexes as they were then too).</summary>
    private Snapshot OpenView(NqlQuery query)
    {
        Names.CheckCollection(query.Collection);
        if (query.AsOf is not { } seq)
        {
            return Engine.OpenSnapshot();
        }

        try
        {
            return Engine.OpenSnapshot(seq);
        }
        catch (HistoryUnavailableException ex)
        {
            throw new NqlException(ex.OldestKept is { } oldest
                ? $"AS OF {seq}: the history kept starts at seq {oldest} (the oldest seq AS OF can read)"
                : $"AS OF {seq}: this database keeps no history (DatabaseOptions.KeepHistory is off)");
        }
        catch (ArgumentOutOfRangeException)
        {
            throw new NqlException($"AS OF {seq}: the database's last seq is {Engine.LastSeq}");
        }
    }

    /// <summary>Plans a query against the collection's schema in <paramref name="snapshot"/>.</summary>
    private (CollectionSchema Schema, QueryPlan Plan) Plan(NqlQuery query, Snapshot snapshot)
    {
        var schema = _schemas.Read(snapshot, query.Collection);
        return (schema, QueryPlanner.Plan(query, schema));
    }

    /// <summary>Checkpoints the database (see <see cref="StorageEngine.CheckpointAsync"/>).</summary>
    public Task CheckpointAsync() => Engine.CheckpointAsync();

    /// <summary>Stops index builds (they resume on the next open) and closes the engine, with a last checkpoint.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _closing.Cancel();
        _maintenance.Dispose();
        try
        {
            WhenIndexesReadyAsync().Wait();
        }
        catch (AggregateException)
        {
            // Builds stop by cancellation, or failed on their own: either way they resume on open.
        }

        Engine.Dispose();
        _closing.Dispose();
    }
}
