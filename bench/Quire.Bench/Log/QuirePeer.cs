using System.Runtime.CompilerServices;
using Quire.Storage.Engine;

namespace Quire.Bench.Log;

/// <summary>
/// Quire's engine in its default (sync) durability: a commit is acknowledged after its
/// group's fdatasync. With <paramref name="options"/>, the engine's other settings (say,
/// keeping history).
/// </summary>
public sealed class QuirePeer(string directory, StorageOptions? options = null) : KeyValuePeer
{
    private readonly StorageEngine _engine = StorageEngine.Open(directory, options ?? new StorageOptions());
    private readonly WriteBatch?[] _batches = new WriteBatch?[1024];

    public override string Name => "quire";

    public override bool Blocking => false;

    public StorageEngine Engine => _engine;

    public override void Preload(long count)
    {
        BenchLoad.Quire(_engine, count);
        Checkpoint();
    }

    // Pooled state machine: the adapter should not allocate per put what a caller of the
    // engine (who awaits CommitAsync directly) does not.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public override async ValueTask PutAsync(int writer, byte[] key, byte[] value)
    {
        var batch = _batches[writer] ??= new WriteBatch();
        batch.Clear();
        batch.Put(key, value);
        await _engine.CommitAsync(batch);
    }

    public override async ValueTask CommitBatchAsync(BatchData data)
    {
        using var batch = new WriteBatch();
        for (var i = 0; i < data.Count; i++)
        {
            batch.Put(data.Key(i), data.Value(i));
        }

        await _engine.CommitAsync(batch);
    }

    // Writes what the tree deferred: the dirty nodes, into the data file.
    public override void Checkpoint() => _engine.CheckpointAsync().GetAwaiter().GetResult();

    public override void Dispose()
    {
        _engine.Dispose();
        foreach (var batch in _batches)
        {
            batch?.Dispose();
        }
    }
}
