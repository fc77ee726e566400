using Quire.Bench.Log;
using Quire.Storage.Engine;

namespace Quire.Bench.Tree;

/// <summary>Quire with a memory budget (and dirty limits within it) of the given bytes; encrypted when given a master key.</summary>
public sealed class QuireReadPeer(string directory, long cacheBytes, Quire.Storage.Crypto.MasterKey? masterKey = null) : ReadPeer
{
    private StorageEngine? _engine;

    public override string Name => "quire";

    public StorageEngine Engine => _engine!;

    public StorageOptions Options { get; } = new()
    {
        MemoryBudget = cacheBytes,
        CheckpointDirtyBytes = cacheBytes / 2,
        MaxDirtyBytes = cacheBytes * 3 / 4,
        MasterKey = masterKey,
    };

    public override void Build(long count)
    {
        Open();
        BenchLoad.Quire(_engine!, count);
        _engine!.CheckpointAsync().GetAwaiter().GetResult();
        Close();
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
