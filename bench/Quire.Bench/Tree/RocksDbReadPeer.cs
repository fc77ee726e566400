using Quire.Bench.Log;
using RocksDbSharp;

namespace Quire.Bench.Tree;

/// <summary>RocksDB with a block cache of the given bytes.</summary>
public sealed class RocksDbReadPeer(string directory, long cacheBytes) : ReadPeer
{
    private RocksDb? _db;

    public override string Name => "rocksdb";

    public override void Build(long count)
    {
        Open();
        BenchLoad.RocksDb(_db!, count);
        _db!.Flush(new FlushOptions().SetWaitForFlush(true));
        _db.CompactRange((byte[]?)null, null);
        Close();
    }

    public override void Open()
    {
        var table = new BlockBasedTableOptions().SetBlockCache(Cache.CreateLru((ulong)cacheBytes));
        _db = RocksDb.Open(new DbOptions().SetCreateIfMissing(true).SetBlockBasedTableFactory(table), directory);
    }

    public override void Close()
    {
        _db?.Dispose();
        _db = null;
    }

    public override bool Get(byte[] key) => _db!.Get(key) is not null;

    public override int Range(byte[] from, int count)
    {
        using var iterator = _db!.NewIterator();
        var read = 0;
        for (iterator.Seek(from); iterator.Valid() && read < count; iterator.Next())
        {
            _ = iterator.Value();
            read++;
        }

        return read;
    }
}
