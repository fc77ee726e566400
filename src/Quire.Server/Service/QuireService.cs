using Quire.Databases;
using Quire.Documents;
using Quire.Indexes;
using Quire.OpLog;
using Quire.Query;

namespace Quire.Server.Service;

/// <summary>
/// What the server does, whichever protocol asks: the catalog's databases, writes with
/// the commit deadline, queries, indexes, history and maintenance. Transports (HTTP, RESP)
/// parse their requests, call this, and render its results and its
/// <see cref="ServiceException"/>s in their own form; none of them sees the storage engine.
/// </summary>
internal sealed class QuireService(DatabaseCatalog catalog, ServiceOptions options)
{
    private readonly Lock _creating = new();
    private string? _replicaOf = options.ReplicaOf;

    /// <summary>What a write waits for after it is durable here (synchronous replicas), or null: nothing.</summary>
    public IWriteConfirmation? Confirmation { get; set; }

    /// <summary>The primary this server is a read-only replica of, or null for a primary.</summary>
    public string? ReplicaOf => Volatile.Read(ref _replicaOf);

    /// <summary>Makes this replica a primary: every database takes writes from now on.</summary>
    public void Promote()
    {
        catalog.PromoteAll();
        Volatile.Write(ref _replicaOf, null);
    }

    /// <summary>True when the server holds a master key: the databases it creates are encrypted.</summary>
    public bool Encrypts => catalog.EncryptsNewDatabases;

    /// <summary>The service's options.</summary>
    public ServiceOptions Options => options;

    /// <summary>Every database's name, in order.</summary>
    public IReadOnlyList<string> DatabaseNames() => catalog.List();

    /// <summary>The open databases' names and stats, for metrics.</summary>
    public IReadOnlyList<(string Name, DatabaseStats Stats)> OpenDatabaseStats() =>
        [.. catalog.OpenDatabases().Select(d => (d.Name, d.Stats))];

    /// <summary>The databases open now.</summary>
    public IReadOnlyList<Database> OpenDatabases() => catalog.OpenDatabases();

    /// <summary>Opens every database (each in constant time), so the first request to each does not wait.</summary>
    public void OpenAll()
    {
        foreach (var name in catalog.List())
        {
            catalog.Get(name);
        }
    }

    /// <summary>The database, opened on first use.</summary>
    /// <exception cref="DatabaseNotFoundException">It does not exist.</exception>
    public Database Get(string name) => catalog.Get(name);

    /// <summary>Creates a database with its <c>init</c>: all of it, or (a bad seed or index) none.</summary>
    public async Task<Database> CreateAsync(string name, DatabaseSeed seed, CancellationToken cancellationToken)
    {
        RefuseOnReplica();
        Names.CheckDatabase(name);
        Database db;
        lock (_creating)
        {
            if (catalog.List().Count >= options.MaxDatabases)
            {
                throw new ServiceException(ServiceErrorKind.Conflict, $"the server holds {options.MaxDatabases} databases, its limit (--max-databases): drop one first");
            }

            db = catalog.Create(name);
        }

        try
        {
            foreach (var (coll, field, kind) in seed.Indexes)
            {
                await db.CreateIndexAsync(coll, field, kind, cancellationToken).ConfigureAwait(false);
            }

            if (seed.Ops.Count > 0)
            {
                await db.BatchAsync(seed.Ops, cancellationToken: cancellationToken).ConfigureAwait(false);
            }

            await db.WhenIndexesReadyAsync().ConfigureAwait(false);
            return db;
        }
        catch
        {
            catalog.Drop(name);
            throw;
        }
    }

    /// <summary>Drops a database; false when there was none.</summary>
    public bool Drop(string name)
    {
        RefuseOnReplica();
        return catalog.Drop(name);
    }

    /// <summary>A replica's copy of the primary's database <paramref name="name"/>: opened, or made empty (its log brings the rest).</summary>
    public Database EnsureReplicaDatabase(string name) => catalog.Exists(name) ? catalog.Get(name) : catalog.Create(name);

    /// <summary>Makes a replica's database <paramref name="name"/> a copy of the primary's read from <paramref name="copy"/>, replacing what it held.</summary>
    public Task<Database> ReplaceReplicaDatabaseAsync(string name, Stream copy, CancellationToken cancellationToken) =>
        catalog.ReplaceFromCopyAsync(name, copy, cancellationToken);

    /// <summary>As <see cref="ReplaceReplicaDatabaseAsync(string, Stream, CancellationToken)"/>, then the page packs after the copy (an archive's).</summary>
    public Task<Database> ReplaceReplicaDatabaseAsync(string name, Stream copy, IReadOnlyList<Func<CancellationToken, Task<Stream>>> packs, CancellationToken cancellationToken) =>
        catalog.ReplaceFromCopyAsync(name, copy, packs, cancellationToken);

    private void RefuseOnReplica()
    {
        if (ReplicaOf is { } primary)
        {
            throw new ServiceException(ServiceErrorKind.ReadOnly, $"read-only replica of {primary}");
        }
    }

    /// <summary>
    /// Commits <paramref name="ops"/> atomically, waiting at most the queue wait for room in a
    /// full queue, then for the <see cref="Confirmation"/> (synchronous replicas) if any.
    /// </summary>
    public async Task<BatchResult> WriteAsync(Database db, IReadOnlyList<DocumentOp> ops, BatchOptions? client, CancellationToken clientGone)
    {
        var result = await CommitDeadline.RunAsync(options.QueueWait, token => db.BatchAsync(ops, client, token), clientGone).ConfigureAwait(false);
        if (Confirmation is { } confirmation && !db.IsReplica)
        {
            await confirmation.ConfirmAsync(db, result.Seq, clientGone).ConfigureAwait(false);
        }

        return result;
    }

    /// <summary>Runs an NQL query (for a subscription's first answer and its re-runs).</summary>
    public static QueryResult Query(Database db, string nql) => db.Query(nql);

    /// <summary>Starts an NQL query whose rows are read as they are sent; <paramref name="limit"/> stops it (<see cref="QueryLimit"/>).</summary>
    public static QueryCursor OpenQuery(Database db, string nql, QueryLimit limit) => db.OpenQuery(nql, limit.Token);

    /// <summary>The time limit of one query, and the client's going away: either stops its reading.</summary>
    public QueryLimit LimitQuery(CancellationToken clientGone) => new(options.QueryTimeout, clientGone);

    /// <summary>Defines an index (or finds the one defined) on a collection's field.</summary>
    public static Task<IndexDefinition> CreateIndexAsync(Database db, string coll, string field, string? kind, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(coll) || string.IsNullOrEmpty(field))
        {
            throw ServiceException.BadInput("coll and field are required");
        }

        return db.CreateIndexAsync(coll, field, IndexKinds.Parse(kind ?? "eq"), cancellationToken);
    }

    /// <summary>Drops the indexes on a collection's field (of one kind, or all); returns how many went.</summary>
    public static Task<int> DropIndexAsync(Database db, string coll, string field, string? kind, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(coll) || string.IsNullOrEmpty(field))
        {
            throw ServiceException.BadInput("coll and field are required");
        }

        return db.DropIndexAsync(coll, field, kind is null ? null : IndexKinds.Parse(kind), cancellationToken);
    }

    /// <summary>Deletes the documents that have expired; returns how many.</summary>
    public static Task<int> SweepAsync(Database db, CancellationToken cancellationToken) => db.ReapExpiredAsync(cancellationToken);

    /// <summary>The most recent <paramref name="limit"/> ops, newest first, read as they are enumerated.</summary>
    public static IEnumerable<OpRecord> Log(Database db, int limit) =>
        limit < 0 ? throw ServiceException.BadInput("limit must be a non-negative integer") : db.EnumerateLog(Math.Min(limit, MaxLogLimit));

    /// <summary>The most ops one log request returns.</summary>
    public const int MaxLogLimit = 100_000;
}
