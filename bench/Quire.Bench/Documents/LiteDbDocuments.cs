using LiteDB;

namespace Quire.Bench.Documents;

/// <summary>LiteDB's side: InsertBulk into a collection with indexes on height and miner (its default journal, flushed per transaction).</summary>
public sealed class LiteDbDocuments : IDisposable
{
    private readonly LiteDatabase _database;

    public LiteDbDocuments(string directory)
    {
        _database = new LiteDatabase(new ConnectionString { Filename = Path.Combine(directory, "blocks.litedb"), Connection = ConnectionType.Direct });
    }

    public void BulkBlocks(IReadOnlyList<Block> blocks, int batchSize)
    {
        var collection = _database.GetCollection("blocks");
        collection.EnsureIndex("height");
        collection.EnsureIndex("miner");
        collection.InsertBulk(blocks.Select(b =>
        {
            var doc = JsonSerializer.Deserialize(b.Json).AsDocument;
            doc["_id"] = b.Id;
            return doc;
        }), batchSize);
        _database.Checkpoint();
    }

    public void Dispose() => _database.Dispose();
}
