using Quire.Databases;
using Quire.Documents;
using Quire.Query;
using static Quire.Tests.DocumentsFixture;

namespace Quire.Tests.Query;

public class AutoIndexTests
{
    [Fact]
    public async Task A_large_unindexed_scan_builds_a_sorted_index_when_enabled()
    {
        using var f = new DocumentsFixture(new DatabaseOptions { AutoIndexes = true, AutoIndexScanThreshold = 100 });
        await f.Db.BatchAsync(Enumerable.Range(0, 300).Select(i => DocumentOp.Put("c", $"d{i:x3}", Json($$"""{"n": {{i}}}"""))).ToList());
        var before = f.Db.Query("FROM c WHERE n >= 290");
        Assert.Equal(300, before.Examined);
        await f.Db.WhenIndexesReadyAsync();

        Assert.Equal(AccessPath.SortedRange, f.Db.Explain("FROM c WHERE n >= 290").Access);
        var after = f.Db.Query("FROM c WHERE n >= 290");
        Assert.Equal(10, after.Examined);
        Assert.Equal(before.Rows, after.Rows);
    }

    [Fact]
    public async Task Automatic_indexes_are_off_by_default()
    {
        using var f = new DocumentsFixture();
        await f.Db.BatchAsync(Enumerable.Range(0, 300).Select(i => DocumentOp.Put("c", $"d{i}", Json($$"""{"n": {{i}}}"""))).ToList());
        f.Db.Query("FROM c WHERE n >= 290 ORDER BY n");
        await f.Db.WhenIndexesReadyAsync();
        Assert.Empty(f.Db.Indexes("c"));
    }
}
