using Quire.Documents;
using Quire.Indexes;
using static Quire.Tests.DocumentsFixture;

namespace Quire.Tests.Indexes;

public class IndexTests
{
    [Fact]
    public async Task An_eq_index_follows_puts_updates_and_deletes_in_the_same_commit()
    {
        using var f = new DocumentsFixture();
        var index = await f.Db.CreateIndexAsync("users", "status", IndexKind.Eq);
        await f.Db.WhenIndexesReadyAsync();
        await f.Db.PutAsync("users", "a", Json("""{"status": "active"}"""));
        await f.Db.PutAsync("users", "b", Json("""{"status": "active"}"""));
        await f.Db.PutAsync("users", "c", Json("""{"other": 1}"""));
        Assert.Equal(["a", "b"], IndexCheck.IdsFor(f.Db, "users", index, "\"active\""));
        Assert.Equal(["c"], IndexCheck.IdsFor(f.Db, "users", index, "null"));

        await f.Db.PutAsync("users", "a", Json("""{"status": "gone"}"""));
        await f.Db.DeleteAsync("users", "b");
        Assert.Empty(IndexCheck.IdsFor(f.Db, "users", index, "\"active\""));
        Assert.Equal(["a"], IndexCheck.IdsFor(f.Db, "users", index, "\"gone\""));
        IndexCheck.AssertAllConsistent(f.Db);
    }

    [Fact]
    public async Task Numbers_index_by_value_so_1_and_1_0_are_one_key()
    {
        using var f = new DocumentsFixture();
        var index = await f.Db.CreateIndexAsync("c", "n", IndexKind.Sorted);
        await f.Db.PutAsync("c", "int", Json("""{"n": 1}"""));
        await f.Db.PutAsync("c", "real", Json("""{"n": 1.0}"""));
        await f.Db.PutAsync("c", "text", Json("""{"n": "1"}"""));
        Assert.Equal(["int", "real"], IndexCheck.IdsFor(f.Db, "c", index, "10e-1"));
    }

    [Fact]
    public async Task An_index_defined_on_a_populated_collection_is_built_and_then_ready()
    {
        using var f = new DocumentsFixture();
        for (var i = 0; i < 2000; i += 100)
        {
            await f.Db.BatchAsync(Enumerable.Range(i, 100).Select(n => DocumentOp.Put("blocks", $"b{n}", Json($$"""{"height": {{n}}, "miner": "m{{n % 7}}"}"""))).ToList());
        }

        var height = await f.Db.CreateIndexAsync("blocks", "height", IndexKind.Sorted);
        var miner = await f.Db.CreateIndexAsync("blocks", "miner", IndexKind.Eq);
        Assert.False(height.Ready);
        await f.Db.PutAsync("blocks", "b5", Json("""{"height": 5000, "miner": "m3"}"""));   // while the build runs
        await f.Db.PutAsync("blocks", "b1990", Json("""{"height": 1990, "miner": "m2", "other": 1}"""));   // same entries: the write puts them, as the build skips it
        await f.Db.WhenIndexesReadyAsync();

        Assert.All(f.Db.Indexes("blocks"), i => Assert.True(i.Ready));
        Assert.Equal(2000, IndexCheck.Stored(f.Db, "blocks", height).Count);
        Assert.Equal(["b5"], IndexCheck.IdsFor(f.Db, "blocks", height, "5000"));
        Assert.Empty(IndexCheck.IdsFor(f.Db, "blocks", height, "5"));
        Assert.Equal(286 + 1, IndexCheck.IdsFor(f.Db, "blocks", miner, "\"m3\"").Count);   // n % 7 == 3, and b5 moved
        IndexCheck.AssertAllConsistent(f.Db);
    }

    [Fact]
    public async Task Search_indexes_case_folded_terms_and_tags_index_each_element()
    {
        using var f = new DocumentsFixture();
        var text = await f.Db.CreateIndexAsync("posts", "body", IndexKind.Search);
        var tags = await f.Db.CreateIndexAsync("posts", "tags", IndexKind.Tags);
        await f.Db.PutAsync("posts", "p1", Json("""{"body": "The Quick brown fox; QUICK!", "tags": ["a", "b", 3]}"""));
        await f.Db.PutAsync("posts", "p2", Json("""{"body": "slow fox", "tags": "a"}"""));
        Assert.Equal(["p1"], IndexCheck.IdsForTerm(f.Db, "posts", text, "quick"));
        Assert.Equal(["p1", "p2"], IndexCheck.IdsForTerm(f.Db, "posts", text, "fox"));
        Assert.Equal(["p1", "p2"], IndexCheck.IdsFor(f.Db, "posts", tags, "\"a\""));
        Assert.Equal(["p1"], IndexCheck.IdsFor(f.Db, "posts", tags, "3"));
        Assert.Equal(6, IndexCheck.Stored(f.Db, "posts", text).Count);   // the quick brown fox, slow fox

        await f.Db.PutAsync("posts", "p1", Json("""{"body": "quick", "tags": ["b"]}"""));
        Assert.Empty(IndexCheck.IdsForTerm(f.Db, "posts", text, "brown"));
        Assert.Equal(["p2"], IndexCheck.IdsFor(f.Db, "posts", tags, "\"a\""));
        IndexCheck.AssertAllConsistent(f.Db);
    }

    [Fact]
    public async Task Index_definitions_persist_and_defining_one_twice_returns_it()
    {
        using var f = new DocumentsFixture();
        var first = await f.Db.CreateIndexAsync("c", "x", IndexKind.Sorted);
        Assert.Equal(first.Id, (await f.Db.CreateIndexAsync("c", "x", IndexKind.Sorted)).Id);
        await f.Db.CreateIndexAsync("c", "y", IndexKind.Tags);
        await f.Db.WhenIndexesReadyAsync();
        f.Reopen();
        Assert.Equal([("x", IndexKind.Sorted), ("y", IndexKind.Tags)], f.Db.Indexes("c").Select(i => (i.Field, i.Kind)));
        Assert.Equal(IndexKind.Sorted, IndexKinds.Parse("ordered"));
        var error = Assert.Throws<InvalidIndexException>(() => IndexKinds.Parse("fuzzy"));
        Assert.Equal("unknown index kind: 'fuzzy' (expected eq, sorted, tags or search)", error.Message);
        await Assert.ThrowsAsync<InvalidIndexException>(() => f.Db.CreateIndexAsync("c", "", IndexKind.Eq));
    }

    [Fact]
    public async Task Concurrent_writers_on_the_same_documents_never_leave_stale_or_duplicate_entries()
    {
        using var f = new DocumentsFixture();
        var index = await f.Db.CreateIndexAsync("c", "v", IndexKind.Sorted);
        await f.Db.CreateIndexAsync("c", "t", IndexKind.Tags);
        var writers = Enumerable.Range(0, 64).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < 40; i++)
            {
                var id = $"d{(w + i) % 8}";
                if (i % 10 == 9)
                {
                    await f.Db.DeleteAsync("c", id);
                }
                else
                {
                    await f.Db.BatchAsync([
                        DocumentOp.Put("c", id, Json($$"""{"v": {{w * 1000 + i}}, "t": ["w{{w}}", "i{{i}}"]}""")),
                        DocumentOp.Put("c", $"d{(w + i + 1) % 8}", Json($$"""{"v": {{i}}}""")),
                    ]);
                }
            }
        })).ToArray();
        await Task.WhenAll(writers);
        IndexCheck.AssertAllConsistent(f.Db);
        var live = Enumerable.Range(0, 8).Count(i => f.Db.Get("c", $"d{i}") is not null);
        Assert.Equal(live, IndexCheck.Stored(f.Db, "c", index).Count);
    }

    [Fact]
    public async Task A_number_too_long_for_an_index_key_is_indexed_by_its_first_digits_and_its_document_stays_writable()
    {
        using var f = new DocumentsFixture();
        var huge = "7" + new string('3', 99_999);          // 100,000 digits: as a whole, a key of ~50 KB
        var near = "7" + new string('3', 99_998) + "4";    // the same first 200 digits, a larger value
        var small = "7" + new string('3', 250);             // fits a key: kept whole
        await f.Db.PutAsync("c", "huge", Json($$"""{"n": {{huge}}}"""));
        await f.Db.CreateIndexAsync("c", "n", IndexKind.Sorted);   // built over it: the build must not fail
        await f.Db.WhenIndexesReadyAsync();
        Assert.All(f.Db.Indexes("c"), i => Assert.True(i.Ready));
        await f.Db.PutAsync("c", "near", Json($$"""{"n": {{near}}}"""));
        await f.Db.PutAsync("c", "small", Json($$"""{"n": {{small}}}"""));
        await f.Db.PutAsync("c", "one", Json("""{"n": 1}"""));
        IndexCheck.AssertAllConsistent(f.Db);

        // The filter decides among values that share a cut entry's first digits.
        Assert.Equal(["huge"], f.Db.Query($"FROM c WHERE n = {huge}").Rows.Select(IdOf));
        Assert.Equal(["near"], f.Db.Query($"FROM c WHERE n > {huge}").Rows.Select(IdOf));
        Assert.Equal(["huge", "near"], f.Db.Query($"FROM c WHERE n >= {huge} ORDER BY n").Rows.Select(IdOf).Order());
        Assert.Equal(["huge", "one", "small"], f.Db.Query($"FROM c WHERE n < {near}").Rows.Select(IdOf).Order());
        Assert.Equal(["small"], f.Db.Query($"FROM c WHERE n = {small}").Rows.Select(IdOf));
        Assert.Contains("Access = SortedRange", f.Db.Explain($"FROM c WHERE n > {huge}").ToString(), StringComparison.Ordinal);   // served by the index

        // And the document stays writable: updated, then deleted.
        await f.Db.PutAsync("c", "huge", Json("""{"n": 2}"""));
        Assert.Equal(["huge"], f.Db.Query("FROM c WHERE n = 2").Rows.Select(IdOf));
        await f.Db.DeleteAsync("c", "near");
        IndexCheck.AssertAllConsistent(f.Db);
        Assert.Empty(f.Db.Query($"FROM c WHERE n > {huge}").Rows);
    }

[Fact]
    public async Task A_failed_build_says_why_is_reported_and_is_tried_again_until_it_succeeds()
    {
        var attempts = 0;
        var reported = new List<string>();
        using var f = new DocumentsFixture(new Quire.Databases.DatabaseOptions
        {
            OnBuildStart = _ =>
            {
                if (Interlocked.Increment(ref attempts) <= 2)
                {
                    throw new IOException("the disk is full");
                }
            },
            OnBackgroundFailure = (what, ex) =>
            {
                lock (reported)
                {
                    reported.Add($"{what}: {ex.Message}");
                }
            },
        });
        await f.Db.PutAsync("c", "a", Json("""{"n": 1}"""));
        var index = await f.Db.CreateIndexAsync("c", "n", IndexKind.Sorted);
        await Assert.ThrowsAsync<IOException>(f.Db.WhenIndexesReadyAsync);
        Assert.False(f.Db.Indexes("c").Single().Ready);
        Assert.Equal("the disk is full", f.Db.IndexBuildError("c", index.Id));
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!f.Db.Indexes("c").Single().Ready)
        {
            Assert.True(DateTime.UtcNow < deadline, "the build was not tried again");
            await Task.Delay(50);
        }

        Assert.Null(f.Db.IndexBuildError("c", index.Id));
        Assert.Equal(3, attempts);
        lock (reported)
        {
            Assert.Equal(2, reported.Count);
            Assert.Contains("the build of index", reported[0], StringComparison.Ordinal);
        }

        Assert.Equal(["a"], IndexCheck.IdsFor(f.Db, "c", index, "1"));
    }

        private static string IdOf(byte[] row) => System.Text.Json.JsonDocument.Parse(row).RootElement.GetProperty("_id").GetString()!;
}
