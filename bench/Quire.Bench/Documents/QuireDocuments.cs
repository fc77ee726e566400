using System.Text.Json;
using Quire.Databases;
using Quire.Documents;
using Quire.Indexes;
using Quire.Storage.Engine;

namespace Quire.Bench.Documents;

/// <summary>Quire's side of the documents suite: one database per case, sync durability (fsync before acknowledging).</summary>
public sealed class QuireDocuments : IDisposable
{
    private static readonly JsonElement Empty = JsonDocument.Parse("{}").RootElement;
    private readonly DatabaseCatalog _catalog;

    public QuireDocuments(string directory)
    {
        _catalog = DatabaseCatalog.Open(directory, new DatabaseOptions { Storage = new StorageOptions { Durability = Durability.Sync } });
    }

    public Database Database(string name) => _catalog.Exists(name) ? _catalog.Get(name) : _catalog.Create(name);

    /// <summary>The contributions database: tags, a sorted score and a searched text.</summary>
    public async Task<Database> ContributionsAsync()
    {
        var db = Database("contributions");
        await db.CreateIndexAsync("contrib", "tags", IndexKind.Tags);
        await db.CreateIndexAsync("contrib", "score", IndexKind.Sorted);
        await db.CreateIndexAsync("contrib", "text", IndexKind.Search);
        await db.WhenIndexesReadyAsync();
        return db;
    }

    /// <summary>A contribution as one atomic commit: the document, its index entries and 3 links.</summary>
    public static async ValueTask AtomicAsync(Database db, Contribution c)
    {
        var from = $"contrib:{c.Id}";
        await db.BatchAsync([
            DocumentOp.Put("contrib", c.Id, c.Element()),
            DocumentOp.Link(from, "cites", $"contrib:{c.LinkTargets[0]}"),
            DocumentOp.Link(from, "cites", $"contrib:{c.LinkTargets[1]}"),
            DocumentOp.Link(from, "cites", $"contrib:{c.LinkTargets[2]}"),
        ]);
    }

    /// <summary>A contribution the way the seed store wrote it: 8 separate durable commits of the same data.</summary>
    public static async ValueTask NWritesAsync(Database db, Contribution c)
    {
        var from = $"contrib:{c.Id}";
        await db.PutAsync("raw", c.Id, c.Element());
        foreach (var target in c.LinkTargets)
        {
            await db.LinkAsync(from, "cites", $"contrib:{target}");
        }

        foreach (var tag in c.Tags)
        {
            await db.PutAsync("tagmarks", $"{tag}:{c.Id}", Empty);
        }

        await db.PutAsync("searchentries", c.Id, JsonSerializer.SerializeToElement(new { text = c.Text }));
    }

    /// <summary>
    /// Loads blocks in atomic batches of <paramref name="batchSize"/> into a database with a
    /// sorted height and an eq index on miner, keeping <paramref name="inFlight"/> batches
    /// committing at once (a loader's ordinary use of group commit), then checkpoints.
    /// </summary>
    public async Task BulkBlocksAsync(IReadOnlyList<Block> blocks, int batchSize, int inFlight)
    {
        var db = Database("blocks");
        await db.CreateIndexAsync("blocks", "height", IndexKind.Sorted);
        await db.CreateIndexAsync("blocks", "miner", IndexKind.Eq);
        await db.WhenIndexesReadyAsync();
        var next = 0;
        var loaders = Enumerable.Range(0, inFlight).Select(_ => Task.Run(async () =>
        {
            while (true)
            {
                var start = Interlocked.Add(ref next, batchSize) - batchSize;
                if (start >= blocks.Count)
                {
                    return;
                }

                var documents = new List<JsonDocument>(batchSize);
                var ops = new List<DocumentOp>(batchSize);
                for (var j = start; j < Math.Min(start + batchSize, blocks.Count); j++)
                {
                    var parsed = JsonDocument.Parse(blocks[j].Json);
                    documents.Add(parsed);
                    ops.Add(DocumentOp.Put("blocks", blocks[j].Id, parsed.RootElement));
                }

                await db.BatchAsync(ops);
                foreach (var document in documents)
                {
                    document.Dispose();
                }
            }
        })).ToArray();
        await Task.WhenAll(loaders);
        await db.CheckpointAsync();
    }

    public void Dispose() => _catalog.Dispose();
}
