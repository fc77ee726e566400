using RocksDbSharp;

namespace Quire.Bench.Log;

/// <summary>RocksDB with sync=true writes (its WAL fsynced per commit group); WriteBatch for batches.</summary>
public sealed class RocksDbPeer : KeyValuePeer
{
    private readonly RocksDb _db;
    private readonly WriteOptions _sync = new WriteOptions().SetSync(true);

    public RocksDbPeer(string directory)
    {
        var table = new BlockBasedTableOptions().SetBlockCache(Cache.CreateLru(512UL * 1024 * 1024));
        var options = new DbOptions()
            .SetCreateIfMissing(true)
            .SetBlockBasedTableFactory(table);
        _db = RocksDb.Open(options, directory);
    }

    public override string Name => "rocksdb";

    public override bool Blocking => true;

    public override void Preload(long count)
    {
        BenchLoad.RocksDb(_db, count);
        Checkpoint();
    }

    public override void Put(int writer, byte[] key, byte[] value) => _db.Put(key, value, null, _sync);

    public override ValueTask CommitBatchAsync(BatchData data)
    {
        using var batch = new WriteBatch();
        for (var i = 0; i < data.Count; i++)
        {
            batch.Put(data.Key(i), data.Value(i), null);
        }

        _db.Write(batch, _sync);
        return ValueTask.CompletedTask;
    }

    public override void Checkpoint() => _db.Flush(new FlushOptions().SetWaitForFlush(true));

    // A flush can set off compactions that run for seconds on RocksDB's own threads.
    public override void WaitUntilQuiet()
    {
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (DateTime.UtcNow < deadline && (Busy("rocksdb.num-running-compactions") || Busy("rocksdb.num-running-flushes") || Busy("rocksdb.compaction-pending")))
        {
            Thread.Sleep(50);
        }
    }

    private bool Busy(string property) => _db.GetProperty(property) is { } value && value.Trim() != "0";

    public override void Dispose() => _db.Dispose();
}
