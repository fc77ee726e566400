using Quire.Documents;
using Quire.Keys;

namespace Quire.Databases;

/// <summary>
/// Deletes expired documents. An expired document already reads as absent; the reaper
/// turns that into real deletes, in ordinary commits (so indexes, replicas and the op log
/// follow), each conditional on the version it saw: a document renewed meanwhile survives.
/// </summary>
internal sealed class ExpiryReaper
{
    /// <summary>Deletes per commit.</summary>
    public const int BatchSize = 256;

    private readonly Database _database;

    public ExpiryReaper(Database database)
    {
        _database = database;
    }

    /// <summary>Deletes what is due now, a batch at a time; returns how many documents went.</summary>
    public async Task<int> ReapDueAsync(CancellationToken cancellationToken)
    {
        var deleted = 0;
        var key = new KeyBuilder();
        var from = new[] { Keyspace.Expiry };
        while (true)
        {
            var nowMs = _database.NowMs;
            var due = _database.Engine.Scan(from, key.Clear().Byte(Keyspace.Expiry).Int64(nowMs + 1).Span, limit: BatchSize);
            var ops = new List<DocumentOp>(due.Count);
            foreach (var entry in due)
            {
                var reader = new KeyReader(entry.Key);
                reader.Byte();
                reader.Int64();
                var collection = reader.String();
                var id = reader.String();
                if (_database.Engine.TryGetVersioned(Keyspace.Document(key, collection, id).Span, out var stored) && stored.Value is not null)
                {
                    ops.Add(DocumentOp.Delete(collection, id, ifSeq: stored.Version));
                }
            }

            if (ops.Count == 0)
            {
                return deleted;
            }

            try
            {
                await _database.BatchAsync(ops, cancellationToken: cancellationToken).ConfigureAwait(false);
                deleted += ops.Count;
            }
            catch (PreconditionFailedException ex)
            {
                // Some were renewed or deleted meanwhile: delete the rest; the renewed ones have a new expiry entry.
                var moved = ex.Failures.Select(f => f.Index).ToHashSet();
                var rest = ops.Where((_, i) => !moved.Contains(i)).ToList();
                if (rest.Count > 0)
                {
                    await _database.BatchAsync(rest, cancellationToken: cancellationToken).ConfigureAwait(false);
                    deleted += rest.Count;
                }
            }

            if (due.Count < BatchSize)
            {
                return deleted;
            }
        }
    }
}
