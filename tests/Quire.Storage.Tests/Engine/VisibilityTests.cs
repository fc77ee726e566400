using System.Buffers.Binary;
using Quire.Storage.Engine;
using Quire.TestSupport;
using static Quire.Storage.Tests.Keys;

namespace Quire.Storage.Tests.Engine;

/// <summary>What readers may see: in sync mode nothing before its fsync, never part of a batch, always their own acknowledged writes.</summary>
public class VisibilityTests
{
    [Fact]
    public async Task A_sync_commit_is_invisible_until_its_fsync_returns()
    {
        var fs = new FaultyFileSystem();
        using var engine = EngineFixture.Open(fs);
        await engine.CommitAsync(new WriteBatch().Put(B("k"), B("old")));
        fs.SyncDelay = TimeSpan.FromSeconds(1);

        // From another thread: a lone commit like this one is led by its caller, which waits in the fsync.
        var pending = Task.Run(async () => await engine.CommitAsync(new WriteBatch().Put(B("k"), B("new")).Put(B("fresh"), B("1"))));
        await Task.Delay(100); // written and applied, still in its fsync

        Assert.False(pending.IsCompleted);
        Assert.Equal("old", S(engine.Get(B("k"))));
        Assert.True(engine.TryGetVersioned(B("k"), out var k));
        Assert.Equal(0, k.Version);
        Assert.False(engine.TryGetVersioned(B("fresh"), out _));
        Assert.Single(engine.Scan());
        Assert.Equal(0, engine.LastSeq);

        await pending;
        Assert.Equal("new", S(engine.Get(B("k"))));
        Assert.Equal("1", S(engine.Get(B("fresh"))));
        Assert.Equal(2, engine.LastSeq);
    }

    [Fact]
    public async Task A_failed_fsync_leaves_readers_on_the_last_published_state()
    {
        var fs = new FaultyFileSystem();
        using var engine = EngineFixture.Open(fs);
        await engine.CommitAsync(new WriteBatch().Put(B("k"), B("old")));
        fs.AddRule(new FaultRule { Op = FaultOp.Sync, PathContains = "/wal/" });

        await Assert.ThrowsAsync<StorageFailedException>(async () => await engine.CommitAsync(new WriteBatch().Put(B("k"), B("new")).Delete(B("k"))));

        Assert.Equal("old", S(engine.Get(B("k"))));
        Assert.Equal(["k"], engine.Scan().Select(e => S(e.Key)));
        Assert.Equal(0, engine.LastSeq);
    }

    [Theory]
    [InlineData(Durability.Sync)]
    [InlineData(Durability.Batch)]
    [InlineData(Durability.Async)]
    public async Task Readers_never_see_part_of_a_batch_and_always_see_their_own_writes(Durability durability)
    {
        using var engine = EngineFixture.Open(new FaultyFileSystem(), durability, segmentSize: 1 << 20);
        var stop = new CancellationTokenSource();
        var torn = 0;
        var readers = Enumerable.Range(0, 2).Select(_ => Task.Run(() =>
        {
            long last = -1;
            while (!stop.IsCancellationRequested)
            {
                var entries = engine.Scan();
                if (entries.Count == 0)
                {
                    continue;
                }

                // All three keys carry one batch's value, and time never runs backwards.
                var values = entries.Select(e => BinaryPrimitives.ReadInt64LittleEndian(e.Value)).Distinct().ToList();
                var version = entries.Max(e => e.Version);
                if (entries.Count != 3 || values.Count != 1 || version < last)
                {
                    Interlocked.Increment(ref torn);
                }

                last = version;
            }
        })).ToArray();

        var writers = Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < 300; i++)
            {
                var value = new byte[8];
                BinaryPrimitives.WriteInt64LittleEndian(value, (w * 1000) + i);
                using var batch = new WriteBatch();
                batch.Put(B("a"), value).Put(B("b"), value);
                batch.BeginOp().Put(B("c"), value).End();
                var result = await engine.CommitAsync(batch);

                // Read-your-writes: once acknowledged, the commit (or a later one) is visible.
                Assert.True(engine.TryGetVersioned(B("c"), out var c) && c.Version >= result.LastSeq);
            }
        })).ToArray();

        await Task.WhenAll(writers);
        await stop.CancelAsync();
        await Task.WhenAll(readers);
        Assert.Equal(0, torn);
    }
}
