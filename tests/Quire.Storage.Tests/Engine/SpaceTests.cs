using Quire.Storage.Engine;
using Quire.TestSupport;
using static Quire.Storage.Tests.Keys;

namespace Quire.Storage.Tests.Engine;

/// <summary>Space: pages of replaced nodes are reused, so endless overwrites keep the data file within 3x the live data, across reopens.</summary>
public class SpaceTests
{
    private const int Keys = 5000;

    [Fact]
    public async Task Endless_overwrites_keep_the_data_file_below_three_times_the_live_data()
    {
        var fs = new FaultyFileSystem();
        var random = new Random(11);
        long treePages;
        using (var engine = EngineFixture.Open(fs))
        {
            await Overwrite(engine, random, Enumerable.Range(0, Keys));
            treePages = (await engine.CheckpointAsync())!.Pages;
            for (var round = 0; round < 60; round++)
            {
                await Overwrite(engine, random, Enumerable.Range(0, 500).Select(_ => random.Next(Keys)));
                await engine.CheckpointAsync();
                Assert.True(engine.DataFilePages < 3 * treePages, $"round {round}: {engine.DataFilePages} pages in the file, {treePages} in the tree");
            }
        }

        // The free list is persisted: a reopened database goes on reusing pages.
        using (var engine = EngineFixture.Open(fs))
        {
            Assert.True(engine.FreePages > 0);
            for (var round = 0; round < 30; round++)
            {
                await Overwrite(engine, random, Enumerable.Range(0, 500).Select(_ => random.Next(Keys)));
                await engine.CheckpointAsync();
                Assert.True(engine.DataFilePages < 3 * treePages, $"after reopen, round {round}: {engine.DataFilePages} pages in the file, {treePages} in the tree");
            }

            Assert.Equal(Keys, engine.Scan().Count);
        }
    }

    [Fact]
    public async Task A_snapshot_keeps_its_pages_from_reuse_until_it_is_disposed()
    {
        var fs = new FaultyFileSystem();
        var random = new Random(5);
        using var engine = EngineFixture.Open(fs);
        await Overwrite(engine, random, Enumerable.Range(0, Keys));
        await engine.CheckpointAsync();
        var snapshot = engine.OpenSnapshot();
        var before = snapshot.Scan().Select(e => (S(e.Key), S(e.Value))).ToList();
        for (var round = 0; round < 10; round++)
        {
            await Overwrite(engine, random, Enumerable.Range(0, 500).Select(_ => random.Next(Keys)));
            await engine.CheckpointAsync();
        }

        Assert.Equal(before, snapshot.Scan().Select(e => (S(e.Key), S(e.Value))).ToList());
        var grown = engine.DataFilePages;
        snapshot.Dispose();

        // Released: the next rounds reuse what only the snapshot held.
        for (var round = 0; round < 10; round++)
        {
            await Overwrite(engine, random, Enumerable.Range(0, 500).Select(_ => random.Next(Keys)));
            await engine.CheckpointAsync();
        }

        Assert.True(engine.DataFilePages <= grown + 20, $"{engine.DataFilePages} pages after release, {grown} before");
    }

    private static async Task Overwrite(StorageEngine engine, Random random, IEnumerable<int> keys)
    {
        foreach (var chunk in keys.Chunk(200))
        {
            var batch = new WriteBatch();
            foreach (var key in chunk)
            {
                batch.Put(B($"key/{key:D5}"), B($"{random.Next()} {new string('v', 150)}"));
            }

            await engine.CommitAsync(batch);
        }
    }
}
