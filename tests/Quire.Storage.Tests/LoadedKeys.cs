using Quire.Storage.Engine;
using static Quire.Storage.Tests.Keys;

namespace Quire.Storage.Tests;

/// <summary>A database of <see cref="Count"/> numbered keys, loaded in key order: what the checkpoint and memory tests start from.</summary>
internal static class LoadedKeys
{
    public const int Count = 20_000;

    public static byte[] Key(int i) => B($"key/{i:D6}");

    public static byte[] Value(int i) => B($"value {i} {new string('v', 100)}");

    /// <summary>Commits every key with its value, 400 to a batch (a batch must fit the tests' 64 KiB log segments).</summary>
    public static async Task Load(StorageEngine engine)
    {
        for (var start = 0; start < Count; start += 400)
        {
            var batch = new WriteBatch();
            for (var i = start; i < start + 400; i++)
            {
                batch.Put(Key(i), Value(i));
            }

            await engine.CommitAsync(batch);
        }
    }
}
