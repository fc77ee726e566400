using System.Buffers.Binary;
using Quire.Storage.Engine;
using Quire.TestSupport;

namespace Quire.Storage.Tests.Engine;

/// <summary>
/// Large commits, which the engine applies in two halves on two threads: snapshots
/// taken while they land see whole commits only, checkpoints write what they made and
/// free what they replaced, evicted nodes are loaded by the halves, and a reopened
/// engine holds every acknowledged write.
/// </summary>
public class ParallelApplyTests
{
    private const int Keys = 40_000;
    private const int Commits = 30;
    private const int WritesPerCommit = 3_000;

    /// <param name="memoryBudget">The default, or a budget far below the tree: nodes are evicted and the halves load stored ones.</param>
    [Theory]
    [InlineData(0L)]
    [InlineData(256L * 1024)]
    public async Task Snapshots_see_whole_large_commits_and_a_reopen_keeps_them_all(long memoryBudget)
    {
        var fs = new FaultyFileSystem();
        var options = EngineFixture.Options(fs, segmentSize: 16 * 1024 * 1024);
        if (memoryBudget > 0)
        {
            options = options with { MemoryBudget = memoryBudget };
        }

        var model = new Dictionary<int, int>(); // key -> the commit that last wrote it (0: the load)
        var history = new List<int[]>();       // the keys of each commit
        using (var engine = StorageEngine.Open(EngineFixture.Directory, options))
        {
            var load = new WriteBatch();
            for (var k = 0; k < Keys; k++)
            {
                load.Put(Key(k), Value(0, k));
                model[k] = 0;
            }

            await engine.CommitAsync(load);
            history.Add([]);

            var random = new Random(7);
            using var done = new CancellationTokenSource();
            var reader = Task.Run(() => ReadWhileCommitting(engine, history, done.Token));
            for (var c = 1; c <= Commits; c++)
            {
                // Half inserts beyond the loaded keys, half overwrites, all in one commit.
                var keys = Enumerable.Range(0, WritesPerCommit).Select(_ => random.Next(Keys * 2)).Distinct().ToArray();
                var batch = new WriteBatch();
                foreach (var k in keys)
                {
                    batch.Put(Key(k), Value(c, k));
                    model[k] = c;
                }

                batch.Put(CounterKey, BitConverter.GetBytes(c));
                lock (history)
                {
                    history.Add(keys);
                }

                await engine.CommitAsync(batch);
                if (c % 10 == 0)
                {
                    await engine.CheckpointAsync();
                }
            }

            done.Cancel();
            Assert.True(await reader > 0);

            // What the halves replaced was retired: the pages the last checkpoints
            // superseded are free again, not lost.
            await engine.CheckpointAsync();
            Assert.True(engine.FreePages * 4 >= engine.DataFilePages, $"{engine.FreePages} free of {engine.DataFilePages} pages");
            Assert.True(memoryBudget == 0 || engine.Stats.Evictions > 0, "the small budget evicted nodes");
        }

        fs.PowerLoss();
        using var reopened = StorageEngine.Open(EngineFixture.Directory, options);
        foreach (var (k, c) in model)
        {
            Assert.Equal(Value(c, k), reopened.Get(Key(k)));
        }
    }

    /// <summary>Takes snapshots until cancelled; in each, every key of the newest commit it sees holds that commit's value. Returns the snapshots checked.</summary>
    private static int ReadWhileCommitting(StorageEngine engine, List<int[]> history, CancellationToken done)
    {
        var checkedSnapshots = 0;
        while (!done.IsCancellationRequested)
        {
            using var snapshot = engine.OpenSnapshot();
            if (snapshot.Get(CounterKey) is not { } counter)
            {
                continue;
            }

            var c = BitConverter.ToInt32(counter);
            int[] keys;
            lock (history)
            {
                keys = history[c];
            }

            foreach (var k in keys)
            {
                Assert.Equal(Value(c, k), snapshot.Get(Key(k)));
            }

            checkedSnapshots++;
        }

        return checkedSnapshots;
    }

    private static readonly byte[] CounterKey = "~counter"u8.ToArray();

    private static byte[] Key(int k)
    {
        var key = new byte[8];
        BinaryPrimitives.WriteInt32BigEndian(key, k * 7919 % 1_000_003); // spread: each commit touches keys all over the tree
        BinaryPrimitives.WriteInt32BigEndian(key.AsSpan(4), k);
        return key;
    }

    private static byte[] Value(int commit, int k)
    {
        var value = new byte[40];
        BinaryPrimitives.WriteInt32LittleEndian(value, commit);
        BinaryPrimitives.WriteInt32LittleEndian(value.AsSpan(4), k);
        return value;
    }
}
