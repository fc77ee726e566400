using System.Text;
using System.Text.Json;
using Quire.Documents;
using Quire.Indexes;
using Quire.Query;
using static Quire.Tests.DocumentsFixture;

namespace Quire.Tests.Query;

public class QueryTests
{
    [Fact]
    public async Task The_contract_examples_return_nedbd_shaped_rows()
    {
        using var f = new DocumentsFixture();
        await f.Db.BatchAsync([
            DocumentOp.Put("users", "u1", Json("""{"status": "active", "age": 40}""")),
            DocumentOp.Put("users", "u2", Json("""{"status": "active", "age": 25}""")),
            DocumentOp.Put("users", "u3", Json("""{"status": "gone", "age": 30}""")),
            DocumentOp.Put("users", "u4", Json("""{"age": 50}""")),
        ]);

        Assert.Equal(["u2", "u1"], Ids(f.Db.Query("FROM users WHERE status = \"active\" ORDER BY age ASC")));
        Assert.Equal(["""{"status":"active","count":2}""", """{"status":"gone","count":1}""", """{"status":null,"count":1}"""],
            Rows(f.Db.Query("FROM users GROUP BY status COUNT")));
        Assert.Equal(["""{"status":"active","sum_age":65}""", """{"status":"gone","sum_age":30}""", """{"status":null,"sum_age":50}"""],
            Rows(f.Db.Query("FROM users GROUP BY status SUM age")));
        Assert.Equal(["u4", "u3"], Ids(f.Db.Query("FROM users ORDER BY status DESC LIMIT 2")));   // DESC: missing first
        Assert.Equal(["u1"], Ids(f.Db.Query("FROM users WHERE _id = \"u1\"")));
        Assert.Equal(["u4"], Ids(f.Db.Query("FROM users WHERE status = null")));
        Assert.Equal(["u3", "u4"], Ids(f.Db.Query("FROM users WHERE status != active")));
    }

    [Fact]
    public async Task A_range_of_ids_reads_from_its_bound_not_from_the_start()
    {
        using var f = new DocumentsFixture();
        await f.Db.BatchAsync([.. Enumerable.Range(0, 1000).Select(i => DocumentOp.Put("c", $"d{i:D4}", Json($$"""{"n": {{i}}}""")))]);
        var page = f.Db.Query("FROM c WHERE _id > \"d0900\" LIMIT 5");
        Assert.Equal(["d0901", "d0902", "d0903", "d0904", "d0905"], Ids(page));
        Assert.InRange(page.Examined, 5, 7);   // read from d0900 on, not the 900 before it
        Assert.Equal("primary-range", f.Db.Explain("FROM c WHERE _id > \"d0900\"").Access switch { var a => QueryPlan.Name(a) });
        Assert.Equal(["d0998", "d0999"], Ids(f.Db.Query("FROM c WHERE _id >= \"d0998\"")));
        Assert.Equal(["d0000", "d0001"], Ids(f.Db.Query("FROM c WHERE _id < \"d0002\"")));
        Assert.Equal(["d0500", "d0501"], Ids(f.Db.Query("FROM c WHERE _id >= \"d0500\" AND _id <= \"d0501\"")));
        Assert.Empty(f.Db.Query("FROM c WHERE _id > \"e\"").Rows);
        Assert.Equal(["d0003"], Ids(f.Db.Query("FROM c WHERE _id > \"d0002\" AND n = 3")));   // the other conditions still filter
    }

    [Fact]
    public async Task Top_ten_walks_the_sorted_index_backwards_and_stops()
    {
        using var f = new DocumentsFixture();
        await f.Db.CreateIndexAsync("blocks", "height", IndexKind.Sorted);
        await f.Db.CreateIndexAsync("blocks", "miner", IndexKind.Eq);
        for (var i = 0; i < 2000; i += 500)
        {
            await f.Db.BatchAsync(Enumerable.Range(i, 500).Select(h => DocumentOp.Put("blocks", $"h{h:x}", Json($$"""{"height": {{h}}, "miner": "m{{h % 10}}"}"""))).ToList());
        }

        await f.Db.WhenIndexesReadyAsync();
        var top = f.Db.Query("FROM blocks ORDER BY height DESC LIMIT 10");
        Assert.Equal(Enumerable.Range(1990, 10).Reverse().Select(h => $"h{h:x}"), Ids(top));
        Assert.Equal(10, top.Examined);
        Assert.Equal(AccessPath.SortedOrder, f.Db.Explain("FROM blocks ORDER BY height DESC LIMIT 10").Access);

        var range = f.Db.Query("FROM blocks WHERE height >= 500 AND height < 600");
        Assert.Equal(100, range.Rows.Count);
        Assert.Equal(100, range.Examined);
        Assert.Equal(AccessPath.SortedRange, f.Db.Explain("FROM blocks WHERE height >= 500 AND height < 600").Access);

        var miners = f.Db.Query("FROM blocks WHERE miner = \"m7\" LIMIT 100");
        Assert.Equal(100, miners.Rows.Count);
        Assert.Equal(100, miners.Examined);
        Assert.Equal(AccessPath.IndexEquality, f.Db.Explain("FROM blocks WHERE miner = m7 LIMIT 100").Access);
        Assert.Equal(AccessPath.FullScan, f.Db.Explain("FROM blocks WHERE size > 3").Access);
        Assert.Equal(AccessPath.PrimaryKey, f.Db.Explain("FROM blocks WHERE _id = \"h1\" AND height > 3").Access);
    }

    [Fact]
    public async Task Search_and_tags_queries_use_their_indexes()
    {
        using var f = new DocumentsFixture();
        await f.Db.CreateIndexAsync("posts", "body", IndexKind.Search);
        await f.Db.CreateIndexAsync("posts", "tags", IndexKind.Tags);
        await f.Db.PutAsync("posts", "p1", Json("""{"body": "The quick brown Fox", "tags": ["a", "b"]}"""));
        await f.Db.PutAsync("posts", "p2", Json("""{"body": "a lazy fox", "tags": ["b"]}"""));
        await f.Db.WhenIndexesReadyAsync();
        Assert.Equal(["p1", "p2"], Ids(f.Db.Query("FROM posts SEARCH \"FOX\"")));
        Assert.Equal(["p1"], Ids(f.Db.Query("FROM posts SEARCH \"quick fox\"")));
        Assert.Equal(AccessPath.SearchIndex, f.Db.Explain("FROM posts SEARCH \"fox\"").Access);
        Assert.Equal(["p1"], Ids(f.Db.Query("FROM posts WHERE tags = a")));
        Assert.Equal(AccessPath.IndexEquality, f.Db.Explain("FROM posts WHERE tags = a").Access);
        // Without a search index SEARCH scans, as nedbd's: each token a substring of the top-level values' text.
        await f.Db.PutAsync("other", "o1", Json("""{"name": "Adamant", "n": 12}"""));
        await f.Db.PutAsync("other", "o2", Json("""{"name": "bob", "ok": true}"""));
        Assert.Equal(["o1"], Ids(f.Db.Query("FROM other SEARCH \"ADA 12\"")));
        Assert.Equal(["o2"], Ids(f.Db.Query("FROM other SEARCH \"true\"")));
        Assert.Equal(["o1", "o2"], Ids(f.Db.Query("FROM other SEARCH \"!!!\"")));
        Assert.Empty(f.Db.Query("FROM other SEARCH \"zed\"").Rows);
        Assert.Equal(AccessPath.FullScan, f.Db.Explain("FROM other SEARCH \"ada\"").Access);
    }

    [Fact]
    public async Task Traverse_follows_links_and_explain_returns_the_plan_as_data()
    {
        using var f = new DocumentsFixture();
        await f.Db.PutAsync("kv", "a", Json("""{"n": 1}"""));
        await f.Db.PutAsync("kv", "b", Json("""{"n": 2}"""));
        await f.Db.PutAsync("kv", "c", Json("""{"n": 3}"""));
        await f.Db.LinkAsync("kv:a", "touched_by", "kv:c");
        await f.Db.LinkAsync("kv:a", "touched_by", "kv:b");
        await f.Db.LinkAsync("kv:a", "touched_by", "kv:gone");
        Assert.Equal(["b", "c"], Ids(f.Db.Query("FROM kv WHERE n = 1 TRAVERSE touched_by")));
        await f.Db.LinkAsync("kv:b", "touched_by", "kv:c");
        Assert.Equal(["b", "c"], Ids(f.Db.Query("FROM kv WHERE n < 3 TRAVERSE touched_by")));   // c, reached from a and b, once

        var explained = f.Db.Query("EXPLAIN FROM kv WHERE n > 1 ORDER BY n DESC LIMIT 5");
        using var plan = JsonDocument.Parse(explained.Rows[0]);
        Assert.Equal("full-scan", plan.RootElement.GetProperty("access").GetString());
        Assert.True(plan.RootElement.GetProperty("sort").GetBoolean());
        Assert.Equal("n > 1", plan.RootElement.GetProperty("filter")[0].GetString());
        Assert.Equal("n DESC", plan.RootElement.GetProperty("order_by").GetString());
        Assert.Equal(5, plan.RootElement.GetProperty("limit").GetInt64());
    }

    [Fact]
    public async Task Expired_documents_are_absent_from_queries()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(1_000_000));
        using var f = new DocumentsFixture(new Quire.Databases.DatabaseOptions { Clock = clock, ExpiryScanInterval = TimeSpan.FromDays(1) });
        await f.Db.WriteAsync(DocumentOp.Put("s", "a", Json("""{"k": 1}""")) with { TtlSeconds = 1 });
        await f.Db.PutAsync("s", "b", Json("""{"k": 1}"""));
        clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(["b"], Ids(f.Db.Query("FROM s WHERE k = 1")));
    }

    [Fact]
    public async Task Values_longer_than_a_key_holds_are_told_apart_by_the_whole_value()
    {
        using var f = new DocumentsFixture();
        await f.Db.CreateIndexAsync("c", "s", IndexKind.Eq);
        var prefix = new string('p', 256);
        await f.Db.PutAsync("c", "exact", Json($$"""{"s": "{{prefix}}"}"""));
        await f.Db.PutAsync("c", "longer", Json($$"""{"s": "{{prefix}}x"}"""));
        await f.Db.PutAsync("c", "both", Json($$"""{"s": ["{{prefix}}x", "{{prefix}}"]}"""));
        await f.Db.PutAsync("c", "other", Json($$"""{"s": "{{prefix}}y"}"""));
        await f.Db.WhenIndexesReadyAsync();
        Assert.Equal(["both", "exact"], Ids(f.Db.Query($"FROM c WHERE s = \"{prefix}\"")));
        Assert.Equal(["both", "longer"], Ids(f.Db.Query($"FROM c WHERE s = \"{prefix}x\"")));
        var groups = f.Db.Query("FROM c WHERE _id != both GROUP BY s COUNT").Rows.Count;
        Assert.Equal(3, groups);   // three different strings, though they share a key's worth of prefix
    }

    [Fact]
    public async Task A_repeated_member_name_keeps_its_last_value_everywhere()
    {
        using var f = new DocumentsFixture();
        await f.Db.CreateIndexAsync("c", "s", IndexKind.Eq);
        var put = await f.Db.PutAsync("c", "d", Json("""{"s": "first", "s": "last"}"""));
        await f.Db.WhenIndexesReadyAsync();
        Assert.Equal(["d"], Ids(f.Db.Query("FROM c WHERE s = last")));
        Assert.Empty(Ids(f.Db.Query("FROM c WHERE s = first")));
        Assert.Empty(Ids(f.Db.Query("FROM c WHERE s = first AND _id = d")));
        Assert.Equal($$"""{"_id":"d","s":"last","_seq":{{put.Seq}}}""", Encoding.UTF8.GetString(f.Db.Get("c", "d")!.Json));
        await Assert.ThrowsAsync<InvalidIndexException>(() => f.Db.CreateIndexAsync("c", "_seq", IndexKind.Sorted));
    }

    private static List<string> Ids(QueryResult result) =>
        result.Rows.Select(r => JsonDocument.Parse(r).RootElement.GetProperty("_id").GetString()!).ToList();

    private static List<string> Rows(QueryResult result) => result.Rows.Select(r => Encoding.UTF8.GetString(r)).ToList();
}
