using Quire.Storage.Engine;
using Quire.Storage.Format;
using Quire.TestSupport;
using static Quire.Storage.Tests.Keys;
using static Quire.Storage.Tests.LoadedKeys;

namespace Quire.Storage.Tests.Engine;

/// <summary>Checkpoints: dirty-only writes, recovery from the superblock, and what happens when the disk fails under one.</summary>
public class CheckpointTests
{
    [Fact]
    public async Task Open_reads_the_root_only_and_loads_the_rest_on_demand()
    {
        var fs = new FaultyFileSystem();
        using (var engine = EngineFixture.Open(fs))
        {
            await Load(engine);
        }

        using (var engine = EngineFixture.Open(fs))
        {
            Assert.Equal(Count - 1, engine.CheckpointedSeq);
            Assert.Equal(1, engine.PagesRead);
            Assert.Equal(Value(12_345), engine.Get(Key(12_345)));
            Assert.True(engine.PagesRead <= 4, $"{engine.PagesRead} pages read for one key");
            Assert.Equal(Count, engine.Scan().Count);
            Assert.Equal(Key(Count - 1), engine.Scan(reverse: true, limit: 1)[0].Key);
        }
    }

    [Fact]
    public async Task Open_replays_only_the_log_after_the_checkpoint()
    {
        var fs = new FaultyFileSystem();
        await LoadWithLogOnlyTail(fs, Enumerable.Range(0, 10));
        using (var engine = EngineFixture.Open(fs))
        {
            Assert.Equal(Count - 1, engine.CheckpointedSeq);
            Assert.Equal(Count + 9, engine.LastSeq);
            Assert.Equal("new", S(engine.Get(Key(9))));
            Assert.Equal(Value(10), engine.Get(Key(10)));
            Assert.Equal(Count, engine.Scan().Count);
        }
    }

    [Fact]
    public async Task A_checkpoint_writes_only_the_paths_of_what_changed()
    {
        var fs = new FaultyFileSystem();
        using var engine = EngineFixture.Open(fs);
        await Load(engine);
        await engine.CheckpointAsync();
        var depth = engine.TreeDepth;
        Assert.True(depth >= 3, $"depth {depth}");

        await engine.CommitAsync(new WriteBatch().Put(Key(7), B("changed")));
        // The path, and the free-list delta that records the path it replaced.
        var one = await engine.CheckpointAsync();
        Assert.Equal(depth + 1, one!.Pages);

        var random = new Random(3);
        for (var i = 0; i < 10; i++)
        {
            await engine.CommitAsync(new WriteBatch().Put(Key(random.Next(Count)), B("changed")));
        }

        var ten = await engine.CheckpointAsync();
        Assert.InRange(ten!.Pages, depth, 10 * depth);
        Assert.Null(await engine.CheckpointAsync()); // nothing changed since
    }

    [Fact]
    public async Task Running_out_of_space_keeps_nodes_dirty_and_the_next_checkpoint_writes_exactly_the_rest()
    {
        var full = new FaultyFileSystem();
        var reference = new FaultyFileSystem();
        using var engine = EngineFixture.Open(full);
        using var twin = EngineFixture.Open(reference);
        await Load(engine);
        await Load(twin);

        full.AddRule(new FaultRule { Op = FaultOp.Write, PathContains = "quire.db", Skip = 1, Error = Faults.NoSpace });
        var error = await Assert.ThrowsAnyAsync<IOException>(() => engine.CheckpointAsync());
        Assert.IsNotType<StorageFailedException>(error);
        Assert.Equal(1, engine.Stats.CheckpointsOutOfSpace);
        Assert.Null(engine.Failure);

        // Still writable, and the retry writes what the twin writes at once.
        await engine.CommitAsync(new WriteBatch().Put(B("after"), B("1")));
        await twin.CommitAsync(new WriteBatch().Put(B("after"), B("1")));
        var retried = await engine.CheckpointAsync();
        var once = await twin.CheckpointAsync();
        Assert.Equal(once!.Pages, retried!.Pages);

        engine.Dispose();
        full.PowerLoss();
        using var reopened = EngineFixture.Open(full);
        Assert.Equal(Count + 1, reopened.Scan().Count);
        Assert.Equal(Count, reopened.CheckpointedSeq);
    }

    [Theory]
    [InlineData(FaultOp.Write)]
    [InlineData(FaultOp.Sync)]
    public async Task An_io_error_during_a_checkpoint_turns_the_engine_read_only_and_loses_nothing(FaultOp op)
    {
        var fs = new FaultyFileSystem();
        using (var engine = EngineFixture.Open(fs))
        {
            await Load(engine);
            fs.AddRule(new FaultRule { Op = op, PathContains = "quire.db" });
            await Assert.ThrowsAsync<StorageFailedException>(() => engine.CheckpointAsync());
            Assert.NotNull(engine.Failure);
            await Assert.ThrowsAsync<StorageFailedException>(async () => await engine.CommitAsync(new WriteBatch().Put(B("x"), B("y"))));
            Assert.Equal(Value(5), engine.Get(Key(5))); // reads go on
        }

        fs.ClearRules();
        fs.PowerLoss();
        using (var engine = EngineFixture.Open(fs))
        {
            Assert.Equal(Count, engine.Scan().Count);
            Assert.Null(engine.Get(B("x")));
        }
    }

    [Fact]
    public async Task A_torn_page_write_leaves_the_previous_checkpoint_in_force()
    {
        var fs = new FaultyFileSystem();
        using (var engine = EngineFixture.Open(fs))
        {
            await Load(engine);
            await engine.CheckpointAsync();
            for (var i = 0; i < 500; i++)
            {
                await engine.CommitAsync(new WriteBatch().Put(Key(i * 37 % Count), B($"second {i}")));
            }

            fs.AddRule(new FaultRule { Op = FaultOp.Write, PathContains = "quire.db", Skip = 3, KeepBytes = 1000, CrashMachine = true });
            await Assert.ThrowsAnyAsync<IOException>(() => engine.CheckpointAsync());
        }

        fs.ClearRules();
        fs.PowerLoss();
        using (var engine = EngineFixture.Open(fs))
        {
            Assert.Equal(Count - 1, engine.CheckpointedSeq);
            Assert.Equal(Count + 499, engine.LastSeq);
            Assert.Equal("second 499", S(engine.Get(Key(499 * 37 % Count))));
            Assert.Equal(Count, engine.Scan().Count);
        }
    }

    [Fact]
    public async Task A_torn_write_anywhere_in_a_checkpoint_superblock_included_leaves_a_consistent_database()
    {
        // Tear the n-th write of a checkpoint for every n until a checkpoint gets through
        // untouched: pages, free-list pages and, last, the superblock.
        for (var skip = 0; ; skip++)
        {
            var fs = new FaultyFileSystem(skip);
            bool torn;
            using (var engine = EngineFixture.Open(fs))
            {
                await Load(engine);
                await engine.CheckpointAsync();
                for (var i = 0; i < 300; i++)
                {
                    await engine.CommitAsync(new WriteBatch().Put(Key(i * 61 % Count), B($"after {i}")));
                }

                fs.UnsyncedSectorSurvival = 0.5;
                // 100 bytes: inside a page's header, and inside the superblock's 128.
                fs.AddRule(new FaultRule { Op = FaultOp.Write, PathContains = "quire.db", Skip = skip, KeepBytes = 100, CrashMachine = true });
                try
                {
                    await engine.CheckpointAsync();
                    torn = false;
                }
                catch (IOException)
                {
                    torn = true;
                }
            }

            fs.ClearRules();
            fs.PowerLoss();
            using (var engine = EngineFixture.Open(fs))
            {
                Assert.Equal(Count + 299, engine.LastSeq);
                // A torn attempt never became durable: the previous checkpoint is in force.
                Assert.Equal(torn ? Count - 1 : Count + 299, engine.CheckpointedSeq);
                Assert.Equal("after 299", S(engine.Get(Key(299 * 61 % Count))));
                Assert.Equal(Value(1), engine.Get(Key(1)));
                Assert.Equal(Count, engine.Scan().Count);
            }

            if (!torn)
            {
                Assert.True(skip > 2, $"a checkpoint of 300 changes took only {skip} writes");
                return;
            }
        }
    }

    [Fact]
    public async Task A_corrupt_page_is_reported_and_never_returned()
    {
        var fs = new FaultyFileSystem();
        using (var engine = EngineFixture.Open(fs))
        {
            await Load(engine);
        }

        // Somewhere in the middle of the data pages: some leaf.
        fs.FlipBit("/db/quire.db", (8192 * 40) + 5000, 3);
        using (var engine = EngineFixture.Open(fs))
        {
            var corrupt = 0;
            for (var i = 0; i < Count; i++)
            {
                try
                {
                    Assert.Equal(Value(i), engine.Get(Key(i)));
                }
                catch (CorruptDataException ex)
                {
                    Assert.Contains("page 40 fails its checksum", ex.Message);
                    corrupt++;
                }
            }

            Assert.InRange(corrupt, 1, 200);
        }
    }

    [Fact]
    public async Task A_corrupt_page_the_replay_needs_fails_the_open_and_leaves_the_database_as_it_was()
    {
        var fs = new FaultyFileSystem();
        await LoadWithLogOnlyTail(fs, Enumerable.Range(0, Count / 10).Select(i => i * 10));   // every leaf
        fs.FlipBit("/db/quire.db", (8192 * 40) + 5000, 3);
        var ex = Assert.Throws<CorruptDataException>(() => EngineFixture.Open(fs));
        Assert.Contains("page 40 fails its checksum", ex.Message);

        // The failed open let go of everything: with the page repaired, the same files open whole.
        fs.FlipBit("/db/quire.db", (8192 * 40) + 5000, 3);
        using (var engine = EngineFixture.Open(fs))
        {
            Assert.Equal(Count - 1 + (Count / 10), engine.LastSeq);
            Assert.Equal("new", S(engine.Get(Key(Count - 10))));
            Assert.Equal(Value(Count - 9), engine.Get(Key(Count - 9)));
            Assert.Equal(Count, engine.Scan().Count);
        }
    }

    /// <summary>
    /// Loads the keys and checkpoints, then puts "new" under each of <paramref name="keys"/>:
    /// the closing checkpoint finds the disk full, so those commits live in the log only
    /// (after a power loss that keeps what was synced).
    /// </summary>
    private static async Task LoadWithLogOnlyTail(FaultyFileSystem fs, IEnumerable<int> keys)
    {
        using (var engine = EngineFixture.Open(fs))
        {
            await Load(engine);
            await engine.CheckpointAsync();
            foreach (var i in keys)
            {
                await engine.CommitAsync(new WriteBatch().Put(Key(i), B("new")));
            }

            fs.AddRule(new FaultRule { Op = FaultOp.Write, PathContains = "quire.db", Error = Faults.NoSpace, Times = -1 });
        }

        fs.ClearRules();
        fs.PowerLoss();
    }
}
