using Quire.Bench.Log;
using Quire.Storage.Engine;

namespace Quire.Bench.Tree;

/// <summary>Quire with a memory budget (and dirty limits within it) of the given bytes.</summary>
public sealed class QuireReadPeer(string directory, long cacheBytes) : ReadPeer
{
    private StorageEngine? _engine;

    public override string Name => "quire";

    public StorageEngine Engine => _engine!;

    public StorageOptions Options { get; } = new()
    {
        MemoryBudget = cacheBytes,
        CheckpointDirtyBytes = cacheBytes / 2,
        MaxDirtyBytes = cacheBytes * 3 / 4,
    };

    public override void Build(long count)
    {
        Open();
        Load(_engine!, 0, count);
        _engine!.CheckpointAsync().GetAwaiter().GetResult();
        Close();
    }

    /// <summary>Puts keys [from, to) in batches of 10,000, in key order.</summary>
    public static void Load(StorageEngine engine, long from, long to)
    {
        var random = new Random(1);
        using var batch = new WriteBatch();
        for (var i = from; i < to;)
        {
            batch.Clear();
            for (var n = 0; n < 10_000 && i < to; n++, i++)
            {
                batch.Put(BenchKeys.Key(i), BenchKeys.Value(random));
            }

            engine.CommitAsync(batch).AsTask().GetAwaiter().GetResult();
        }
    }

    public override void Open() => _engine = StorageEngine.Open(directory, Options);

    public override void Close()
    {
        _engine?.Dispose();
        _engine = null;
    }

    public override bool Get(byte[] key) => _engine!.Get(key) is not null;

    public override int Range(byte[] from, int count) => _engine!.Scan(from, limit: count).Count;
}
