using Quire.Documents;
using Quire.Indexes;
using Quire.Keys;
using Quire.Query;

namespace Quire.Databases;

/// <summary>A database's indexes: defining, building, dropping and reclaiming them, and the automatic ones.</summary>
public sealed partial class Database
{
    /// <summary>The indexes of <paramref name="collection"/>.</summary>
    public IReadOnlyList<IndexDefinition> Indexes(string collection)
    {
        Names.CheckCollection(collection);
        using var snapshot = Engine.OpenSnapshot();
        return _schemas.Read(snapshot, collection).Indexes;
    }

    /// <summary>Every collection's indexes.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<IndexDefinition>> AllIndexes()
    {
        var result = new SortedDictionary<string, IReadOnlyList<IndexDefinition>>(StringComparer.Ordinal);
        foreach (var (collection, schema) in Schemas())
        {
            result[collection] = schema.Indexes;
        }

        return result;
    }

    /// <summary>Every collection's schema, from one snapshot, in collection order.</summary>
    private List<(string Collection, CollectionSchema Schema)> Schemas()
    {
        var schemas = new List<(string, CollectionSchema)>();
        var prefix = Keyspace.SchemaPrefix();
        using var snapshot = Engine.OpenSnapshot();
        foreach (var entry in snapshot.Scan(prefix, Keyspace.End(prefix)))
        {
            var reader = new KeyReader(entry.Key);
            reader.Byte();
            reader.Skip();
            schemas.Add((reader.String(), CollectionSchema.Parse(entry.Version, entry.Value)));
        }

        return schemas;
    }

    /// <summary>
    /// Defines an index (or returns the one already defined on that field and kind). Writes
    /// maintain it from now on; documents already stored are added in the background, and
    /// it is <see cref="IndexDefinition.Ready"/> once they are (<see cref="WhenIndexesReadyAsync"/>).
    /// </summary>
    /// <exception cref="InvalidIndexException">The field is empty or too long.</exception>
    public async Task<IndexDefinition> CreateIndexAsync(string collection, string field, IndexKind kind, CancellationToken cancellationToken = default)
    {
        Names.CheckCollection(collection);
        if (string.IsNullOrEmpty(field) || field.Length > 256)
        {
            throw new InvalidIndexException("coll and field are required (a field is 1 to 256 characters)");
        }

        if (field == "_seq")
        {
            throw new InvalidIndexException("_seq cannot be indexed: it is each document's version, not a stored field");
        }

        if (!Enum.IsDefined(kind))
        {
            throw new InvalidIndexException($"unknown index kind: {kind}");
        }

        IndexDefinition? index = null;
        var defined = await SchemaUpdate.ApplyAsync(Engine, _schemas, collection, schema =>
        {
            if (schema.Find(field, kind) is { } existing)
            {
                index = existing;
                return null;
            }

            // The definition's op takes seq D; "since" is only known once sequenced, so it
            // records the seq before: every write sequenced after it maintains the index.
            index = new IndexDefinition(schema.NextId(), field, kind, Since: Engine.LastSeq, Ready: false);
            return schema.With(index);
        }, cancellationToken).ConfigureAwait(false);
        if (defined)
        {
            StartBuild(collection, index!.Id);
        }

        return index!;
    }

    /// <summary>Completes when every index build started so far (and any they lead to) has finished.</summary>
    public async Task WhenIndexesReadyAsync()
    {
        while (true)
        {
            Task[] pending;
            lock (_builds)
            {
                pending = _builds.Where(t => !t.IsCompleted).ToArray();
            }

            if (pending.Length == 0)
            {
                Task[] all;
                lock (_builds)
                {
                    all = [.. _builds];
                }

                await Task.WhenAll(all).ConfigureAwait(false);   // surfaces a failed build
                return;
            }

            await Task.WhenAll(pending).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Drops the indexes on <paramref name="field"/> of <paramref name="collection"/> (of
    /// <paramref name="kind"/>, or of every kind) and returns how many it dropped. Queries
    /// and writes stop using them at once; their entries are deleted in the background
    /// (resumed on the next open), and their ids are never given to a new index.
    /// </summary>
    public async Task<int> DropIndexAsync(string collection, string field, IndexKind? kind = null, CancellationToken cancellationToken = default)
    {
        Names.CheckCollection(collection);
        List<uint> dropped = [];
        var changed = await SchemaUpdate.ApplyAsync(Engine, _schemas, collection, schema =>
        {
            dropped = schema.Indexes.Where(i => i.Field == field && (kind is null || i.Kind == kind)).Select(i => i.Id).ToList();
            return dropped.Count == 0 ? null : schema.Without(dropped);
        }, cancellationToken).ConfigureAwait(false);
        if (!changed)
        {
            return 0;
        }

        foreach (var id in dropped)
        {
            StartReclaim(collection, id);
        }

        return dropped.Count;
    }

    /// <summary>Starts a sorted index on the first field the query filters or orders on that has none (see <see cref="DatabaseOptions.AutoIndexes"/>).</summary>
    private void ConsiderAutoIndex(NqlQuery query, CollectionSchema schema)
    {
        var fields = query.Where.Where(c => c.Value.Kind != NqlValueKind.Null).Select(c => c.Field).Append(query.OrderBy).OfType<string>();
        var field = fields.FirstOrDefault(f => f is not ("_id" or "_seq") && schema.Find(f, IndexKind.Sorted) is null);
        if (field is null || !_autoIndexed.TryAdd((query.Collection, field), true))
        {
            return;
        }

        var definition = Task.Run(async () =>
        {
            try
            {
                await CreateIndexAsync(query.Collection, field, IndexKind.Sorted, _closing.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // An automatic index is a hint: closing, a failed engine or a field it cannot
                // index leaves the queries as they were (a later query may try again).
                _autoIndexed.TryRemove((query.Collection, field), out _);
            }
        });
        lock (_builds)
        {
            _builds.Add(definition);   // so WhenIndexesReadyAsync covers it before its build starts
        }
    }

    /// <summary>Why the build of an index failed last (it is retried), or null while none has.</summary>
    public string? IndexBuildError(string collection, uint indexId) => _buildErrors.TryGetValue((collection, indexId), out var error) ? error : null;

    private void StartBuild(string collection, uint indexId, int attempt = 0)
    {
        var build = Task.Run(async () =>
        {
            try
            {
                _options.OnBuildStart?.Invoke(collection);
                await _builder.BuildAsync(collection, indexId, _closing.Token).ConfigureAwait(false);
                _buildErrors.TryRemove((collection, indexId), out _);
            }
            catch (Exception ex) when (!_closing.IsCancellationRequested && ex is not OutOfMemoryException)
            {
                // Visible in the detail, reported, and tried again (after 1 s, 2 s, ... 5 min):
                // what made it fail (a document, a full disk) may be fixed meanwhile.
                _buildErrors[(collection, indexId)] = ex.Message;
                _options.OnBackgroundFailure?.Invoke($"database {Name}: the build of index {indexId} on {collection} failed; it is tried again", ex);
                _ = RetryBuildAsync(collection, indexId, attempt + 1);
                throw;
            }
        });
        lock (_builds)
        {
            _builds.RemoveAll(t => t.IsCompletedSuccessfully);
            _builds.Add(build);
        }
    }

    private async Task RetryBuildAsync(string collection, uint indexId, int attempt)
    {
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(Math.Min(300, 1 << Math.Min(attempt - 1, 9))), _options.Clock, _closing.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;   // closing
        }

        if (Indexes(collection).Any(i => i.Id == indexId && !i.Ready))
        {
            StartBuild(collection, indexId, attempt);
        }
    }

    /// <summary>Restarts the builds and reclaims an earlier open left unfinished.</summary>
    private void ResumeIndexWork()
    {
        foreach (var (collection, schema) in Schemas())
        {
            foreach (var index in schema.Indexes.Where(i => !i.Ready))
            {
                StartBuild(collection, index.Id);
            }

            foreach (var id in schema.Dropping)
            {
                StartReclaim(collection, id);
            }
        }
    }

    private void StartReclaim(string collection, uint indexId)
    {
        var reclaim = Task.Run(() => IndexReclaimer.ReclaimAsync(Engine, _schemas, collection, indexId, _closing.Token));
        lock (_builds)
        {
            _builds.RemoveAll(t => t.IsCompletedSuccessfully);
            _builds.Add(reclaim);
        }
    }
}
