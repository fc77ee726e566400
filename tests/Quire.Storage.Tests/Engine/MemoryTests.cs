using System.Collections.Concurrent;
using Quire.Storage.Engine;
using Quire.TestSupport;
using static Quire.Storage.Tests.Keys;
using static Quire.Storage.Tests.LoadedKeys;

namespace Quire.Storage.Tests.Engine;

/// <summary>Memory: a database larger than its budget, eviction under concurrent reads and writes, backpressure on dirty nodes, and snapshot caps.</summary>
public class MemoryTests
{
    private static StorageOptions SmallMemory(FaultyFileSystem fs) => EngineFixture.Options(fs) with
    {
        MemoryBudget = 128 * 8192,
        CheckpointDirtyBytes = 256 * 1024,
        MaxDirtyBytes = 512 * 1024,
        CheckpointInterval = TimeSpan.FromMilliseconds(20),
    };

    [Fact]
    public async Task A_database_larger_than_the_memory_budget_is_served_from_disk_within_it()
    {
        var fs = new FaultyFileSystem();
        var options = SmallMemory(fs);
        using (var engine = StorageEngine.Open("/db", options))
        {
            await Load(engine);
        }

        using (var engine = StorageEngine.Open("/db", options))
        {
            var random = new Random(2);
            for (var i = 0; i < 5000; i++)
            {
                var key = random.Next(Count);
                Assert.Equal(Value(key), engine.Get(Key(key)));
            }

            await WaitUntil(() => engine.ResidentBytes <= options.MemoryBudget);
            Assert.True(engine.Stats.Evictions > 0);
            Assert.True(engine.PagesRead > engine.ResidentBytes / 8192, $"{engine.PagesRead} pages read, {engine.ResidentBytes / 8192} resident");
            Assert.Equal(Count, engine.Scan().Count);
        }
    }

    [Fact]
    public async Task Eviction_takes_turns_around_the_keyspace_so_a_working_set_that_fits_stays_resident()
    {
        // The first half of the keys is read at random, a little at a time; the second half
        // was read once and never again. The budget holds the first half but not both: the
        // evictor must get round to the cold half, not keep evicting the start of the
        // keyspace that the reads keep touching only partly.
        var fs = new FaultyFileSystem();
        var options = SmallMemory(fs) with { MemoryBudget = 260 * 8192 };
        using (var engine = StorageEngine.Open("/db", options))
        {
            await Load(engine);
        }

        using (var engine = StorageEngine.Open("/db", options))
        {
            const int Hot = Count / 2;
            Assert.Equal(Count - Hot, engine.Scan(Key(Hot)).Count);
            var random = new Random(5);
            for (var round = 0; round < 300; round++)
            {
                for (var i = 0; i < 10; i++)
                {
                    var key = random.Next(Hot);
                    Assert.Equal(Value(key), engine.Get(Key(key)));
                }

                await Task.Delay(5);
            }

            var before = engine.PagesRead;
            for (var key = 0; key < Hot; key++)
            {
                Assert.Equal(Value(key), engine.Get(Key(key)));
            }

            var hotLeaves = Hot / 50;
            Assert.True(engine.PagesRead - before < hotLeaves / 10, $"{engine.PagesRead - before} pages read for a working set of about {hotLeaves} leaves that fits the budget ({engine.Stats.Evictions} evictions)");
        }
    }

    [Fact]
    public async Task Evictions_racing_reads_writes_and_checkpoints_never_change_what_reads_see()
    {
        var fs = new FaultyFileSystem();
        using var engine = StorageEngine.Open("/db", SmallMemory(fs));
        await Load(engine);
        var acknowledged = new ConcurrentDictionary<int, long>();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(3));
        var writer = Task.Run(async () =>
        {
            var random = new Random(4);
            while (!stop.IsCancellationRequested)
            {
                var key = random.Next(Count);
                var result = await engine.CommitAsync(new WriteBatch().Put(Key(key), Value(key)));
                acknowledged.AddOrUpdate(key, result.LastSeq, (_, v) => Math.Max(v, result.LastSeq));
            }
        });
        var readers = Enumerable.Range(0, 3).Select(r => Task.Factory.StartNew(() =>
        {
            var random = new Random(r);
            var reads = 0;
            while (!stop.IsCancellationRequested)
            {
                var key = random.Next(Count);
                var known = acknowledged.TryGetValue(key, out var v) ? v : -1;
                Assert.True(engine.TryGetVersioned(Key(key), out var value));
                Assert.Equal(Value(key), value.Value);
                Assert.True(value.Version >= known, $"key {key}: version {value.Version} older than acknowledged {known}");
                reads++;
            }

            return reads;
        }, TaskCreationOptions.LongRunning)).ToArray();

        await writer;
        Assert.All(await Task.WhenAll(readers), reads => Assert.True(reads > 0));
        Assert.True(engine.Stats.Evictions > 0 && engine.Stats.Checkpoints > 1);
    }

    [Fact]
    public async Task A_failed_page_read_while_applying_fails_the_commit_and_turns_the_engine_read_only()
    {
        var fs = new FaultyFileSystem();
        var options = SmallMemory(fs);
        using (var engine = StorageEngine.Open("/db", options))
        {
            await Load(engine);
        }

        using (var engine = StorageEngine.Open("/db", options))
        {
            // Every leaf is on disk only; the commit's apply must read one.
            fs.AddRule(new FaultRule { Op = FaultOp.Read, PathContains = "quire.db", Times = -1 });
            await Assert.ThrowsAsync<StorageFailedException>(async () => await engine.CommitAsync(new WriteBatch().Put(Key(7), B("lost"))));
            Assert.NotNull(engine.Failure);
            await Assert.ThrowsAsync<StorageFailedException>(async () => await engine.CommitAsync(new WriteBatch().Put(Key(8), B("refused"))));
            fs.ClearRules();
            Assert.Equal(Value(7), engine.Get(Key(7)));
        }

        using (var engine = StorageEngine.Open("/db", options))
        {
            // The failed commit was written to the log before its apply failed: it was never
            // acknowledged, so either outcome is allowed; nothing else changed.
            Assert.Contains(S(engine.Get(Key(7))), new[] { S(Value(7)), "lost" });
            Assert.Equal(Value(8), engine.Get(Key(8)));
            Assert.Equal(Count, engine.Scan().Count);
        }
    }

    [Fact]
    public async Task Commits_wait_for_a_checkpoint_when_dirty_nodes_pass_their_limit()
    {
        var fs = new FaultyFileSystem();
        var options = SmallMemory(fs) with { CheckpointInterval = TimeSpan.FromHours(1), MemoryBudget = 1 << 30 };
        using var engine = StorageEngine.Open("/db", options);
        await Load(engine);
        Assert.True(engine.Stats.DirtyWaits > 0);
        Assert.True(engine.Stats.Checkpoints > 0);
        Assert.Equal(Count, engine.Scan().Count);
    }

    [Fact]
    public async Task A_snapshot_past_its_age_is_cancelled_with_a_clear_error()
    {
        var fs = new FaultyFileSystem();
        using var engine = StorageEngine.Open("/db", EngineFixture.Options(fs) with { MaxSnapshotAge = TimeSpan.FromMilliseconds(200) });
        await engine.CommitAsync(new WriteBatch().Put(B("k"), B("v")));
        var snapshot = engine.OpenSnapshot();
        Assert.Equal("v", S(snapshot.Get(B("k"))));
        await WaitUntil(() => engine.Stats.SnapshotsExpired == 1);
        var error = Assert.Throws<SnapshotExpiredException>(() => snapshot.Get(B("k")));
        Assert.Contains("MaxSnapshotAge", error.Message);
        Assert.Equal(0, engine.OpenSnapshots);
        snapshot.Dispose();
    }

    [Fact]
    public async Task A_snapshot_keeping_too_many_replaced_pages_is_cancelled()
    {
        var fs = new FaultyFileSystem();
        using var engine = StorageEngine.Open("/db", EngineFixture.Options(fs) with { MaxSnapshotPinnedBytes = 64 * 8192 });
        await Load(engine);
        using var snapshot = engine.OpenSnapshot();
        var random = new Random(9);
        for (var i = 0; i < 400 && engine.Stats.SnapshotsExpired == 0; i++)
        {
            await engine.CommitAsync(new WriteBatch().Put(Key(random.Next(Count)), B("new")));
        }

        await WaitUntil(() => engine.Stats.SnapshotsExpired == 1);
        Assert.Contains("MaxSnapshotPinnedBytes", Assert.Throws<SnapshotExpiredException>(() => snapshot.Scan().ToList()).Message);
    }

    [Theory]
    [InlineData(4096, false)]
    [InlineData(128, true)]
    public async Task Pages_readers_load_under_replaced_or_evicted_nodes_are_not_counted_forever(int budgetPages, bool evicting)
    {
        // Readers install pages they load into the frozen nodes they descend; meanwhile the
        // writer replaces those nodes with copies made before the install, and (with the
        // small budget) the evictor drops them. Once the old nodes are gone, only nodes a
        // tree holds may count as resident, or the count creeps up until the evictor
        // empties the cache for pages that no longer exist.
        var fs = new FaultyFileSystem();
        var options = SmallMemory(fs) with { MemoryBudget = budgetPages * 8192 };
        using (var engine = StorageEngine.Open("/db", options))
        {
            await Load(engine);
        }

        using (var engine = StorageEngine.Open("/db", options))
        {
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            var writer = Task.Run(async () =>
            {
                var random = new Random(4);
                while (!stop.IsCancellationRequested)
                {
                    await engine.CommitAsync(new WriteBatch().Put(Key(random.Next(Count)), Value(0)));
                }
            });
            var readers = Enumerable.Range(0, 2).Select(r => Task.Factory.StartNew(
                () =>
                {
                    var random = new Random(r);
                    while (!stop.IsCancellationRequested)
                    {
                        Assert.NotNull(engine.Get(Key(random.Next(Count))));
                    }
                },
                TaskCreationOptions.LongRunning)).ToArray();
            await writer;
            await Task.WhenAll(readers);
            await engine.CheckpointAsync();
            Assert.Equal(evicting, engine.Stats.Evictions > 0);

            // Once no older root is kept, every counted page must belong to a node of the
            // published tree, and every node of it must be counted. (When a reader's install
            // or the evictor's drop crosses the writer's copy exactly, a page may stay
            // counted after it is gone: a few, never more.)
            // The evictor goes on in the background while the tree is over budget, so the
            // count and the walk are compared only when no eviction crossed the walk.
            await WaitUntil(() => engine.State.RetainedPages == 0);
            var (resident, inMemory) = await StableResidency(engine);
            Assert.InRange(resident, inMemory, inMemory + 4);
        }
    }

    private static async Task<(long Resident, long InMemory)> StableResidency(StorageEngine engine)
    {
        for (var attempt = 0; ; attempt++)
        {
            var evictions = engine.Stats.Evictions;
            var root = engine.State.PinPublished();
            try
            {
                var inMemory = InMemoryNodes(root.Node);
                var resident = engine.State.ResidentPages;
                if (engine.Stats.Evictions == evictions || attempt == 100)
                {
                    return (resident, inMemory);
                }
            }
            finally
            {
                root.Unpin();
            }

            await Task.Delay(20);
        }
    }

    private static long InMemoryNodes(Quire.Storage.Tree.Node node)
    {
        long count = 1;
        if (node.Children is { } children)
        {
            for (var i = 0; i <= node.Count; i++)
            {
                if (Volatile.Read(ref children[i]) is { } child)
                {
                    count += InMemoryNodes(child);
                }
            }
        }

        return count;
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        for (var waited = 0; !condition(); waited += 10)
        {
            Assert.True(waited < 10_000, "timed out waiting");
            await Task.Delay(10);
        }
    }
}
