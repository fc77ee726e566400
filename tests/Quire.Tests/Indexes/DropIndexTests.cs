using System.Text.Json;
using Quire.Indexes;
using Quire.Keys;

namespace Quire.Tests.Indexes;

public class DropIndexTests
{
    [Fact]
    public async Task A_dropped_index_stops_serving_at_once_its_entries_are_reclaimed_and_its_id_is_never_reused()
    {
        using var f = new DocumentsFixture();
        var index = await f.Db.CreateIndexAsync("c", "n", IndexKind.Sorted);
        for (var i = 0; i < 50; i++)
        {
            await f.Db.PutAsync("c", $"d{i}", JsonDocument.Parse($$"""{"n": {{i}}}""").RootElement);
        }

        await f.Db.WhenIndexesReadyAsync();
        var prefix = Keyspace.Prefix(new KeyBuilder(), "c", index.Id).ToArray();
        Assert.Equal(50, f.Db.Engine.Scan(prefix, Keyspace.End(prefix)).Count);

        Assert.Equal(1, await f.Db.DropIndexAsync("c", "n"));
        Assert.Empty(f.Db.Indexes("c"));
        Assert.Equal(Quire.Query.AccessPath.FullScan, f.Db.Explain("FROM c WHERE n > 10").Access);
        Assert.Equal(39, f.Db.Query("FROM c WHERE n > 10").Rows.Count);
        await f.Db.WhenIndexesReadyAsync();
        Assert.Empty(f.Db.Engine.Scan(prefix, Keyspace.End(prefix)));
        Assert.Equal(0, await f.Db.DropIndexAsync("c", "n"));

        var next = await f.Db.CreateIndexAsync("c", "n", IndexKind.Sorted);
        Assert.True(next.Id > index.Id);
        f.Reopen();
        await f.Db.WhenIndexesReadyAsync();
        Assert.Equal(Quire.Query.AccessPath.SortedRange, f.Db.Explain("FROM c WHERE n > 10").Access);
        Assert.Equal(39, f.Db.Query("FROM c WHERE n > 10").Rows.Count);
        IndexCheck.AssertAllConsistent(f.Db);
    }
}
