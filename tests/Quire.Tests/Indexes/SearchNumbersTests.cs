using System.Text;
using CsCheck;
using Quire.Databases;
using Quire.Documents;
using Quire.Indexes;
using Quire.Keys;
using Quire.Query;
using Quire.Storage.Engine;
using static Quire.Tests.DocumentsFixture;

namespace Quire.Tests.Indexes;

/// <summary>
/// Search entries name documents by number. With homes made to collide (every id of a
/// length shares one), numbers come from probe chains that deletes thin out; searches must
/// still find exactly the documents holding every word, and the index must equal its
/// recomputation, whatever order puts, deletes, batches and the index build come in.
/// </summary>
public class SearchNumbersTests
{
    private static readonly string[] Words = ["red", "green", "fox", "dog"];
    private static readonly string[] IdPool = ["a", "b", "c", "d", "aa", "bb", "cc", "aaa", "bbb", "x-long-id-0001", "x-long-id-0002"];

    /// <summary>Homes that collide: an id's home is its length (three chains, and they run into each other).</summary>
    private static DatabaseOptions Colliding() => new()
    {
        Storage = new StorageOptions { Durability = Durability.Batch },
        SearchHome = id => id.Length,
    };

    [Fact]
    public async Task Ids_whose_homes_collide_get_numbers_of_their_own_and_a_deleted_slot_is_freed_only_at_a_chain_end()
    {
        using var f = new DocumentsFixture(Colliding());
        await f.Db.CreateIndexAsync("c", "text", IndexKind.Search);
        await f.Db.WhenIndexesReadyAsync();
        await f.Db.PutAsync("c", "a", Json("""{"text": "red fox"}"""));
        await f.Db.PutAsync("c", "b", Json("""{"text": "red dog"}"""));
        await f.Db.PutAsync("c", "c", Json("""{"text": "green fox"}"""));
        Assert.Equal(["a", "b", "c"], Slots(f.Db, "c", 1, 3));

        await f.Db.DeleteAsync("c", "b");
        Assert.Equal(["a", "b", "c"], Slots(f.Db, "c", 1, 3));   // c's probe passes slot 2: it stays taken
        await f.Db.DeleteAsync("c", "c");
        Assert.Equal(["a", "b", null], Slots(f.Db, "c", 1, 3));   // the chain's end is freed

        await f.Db.PutAsync("c", "b", Json("""{"text": "green dog"}"""));   // back in its old slot
        Assert.Equal(["a", "b", null], Slots(f.Db, "c", 1, 3));
        Assert.Equal(["a"], Ids(f.Db.Query("FROM c SEARCH \"red\"")));
        Assert.Equal(["b"], Ids(f.Db.Query("FROM c SEARCH \"dog green\"")));
        IndexCheck.AssertAllConsistent(f.Db);
    }

    [Fact]
    public void Searches_match_the_documents_holding_every_word_through_any_history() =>
        Gen.Int[0, int.MaxValue].Sample(seed => Run(seed).GetAwaiter().GetResult(), iter: 30, threads: 1);

    [Fact]
    public async Task A_search_index_in_the_old_entry_format_is_rebuilt_on_open()
    {
        using var f = new DocumentsFixture();
        await f.Db.PutAsync("c", "a", Json("""{"text": "red fox"}"""));
        await f.Db.PutAsync("c", "b", Json("""{"text": "red dog"}"""));

        // What a build before format 2 left: a ready definition without "postings", entries ending in the id.
        using (var batch = new WriteBatch())
        {
            var op = batch.BeginOp();
            op.Put(Keyspace.SchemaKey("c"), Encoding.UTF8.GetBytes($$"""{"indexes":[{"id":1,"field":"text","kind":"{{IndexKinds.Name(IndexKind.Search)}}","since":-1,"ready":true}]}"""));
            foreach (var (id, terms) in new[] { ("a", new[] { "red", "fox" }), ("b", ["red", "dog"]) })
            {
                foreach (var term in terms)
                {
                    op.Put(Keyspace.Prefix(new KeyBuilder(), "c", 1).String(term).String(id).Span, []);
                }
            }

            op.End();
            await f.Db.Engine.CommitAsync(batch);
        }

        f.Reopen();
        await f.Db.WhenIndexesReadyAsync();

        Assert.True(Assert.Single(f.Db.Indexes("c")).Ready);
        Assert.Equal(["a", "b"], Ids(f.Db.Query("FROM c SEARCH \"red\"")));
        Assert.Equal(["b"], Ids(f.Db.Query("FROM c SEARCH \"dog\"")));
        Assert.Contains("\"postings\":2", Encoding.UTF8.GetString(f.Db.Engine.Get(Keyspace.SchemaKey("c"))!), StringComparison.Ordinal);
        IndexCheck.AssertAllConsistent(f.Db);   // no entry in the old format is left
    }

    [Fact]
    public void The_default_home_is_stable_and_spreads_ids()
    {
        // Stored numbers are found again from their ids' homes: the home must never change across builds.
        Assert.Equal(Convert.ToInt64("ca978112ca1bbdca", 16), SearchNumbers.Sha256Home("a"));   // SHA-256("a") begins ca978112ca1bbdca
        Assert.NotEqual(SearchNumbers.Sha256Home("doc-1"), SearchNumbers.Sha256Home("doc-2"));
    }

    private static async Task Run(int seed)
    {
        var random = new Random(seed);
        using var f = new DocumentsFixture(Colliding());
        var texts = new Dictionary<string, string>();
        var defineAt = random.Next(0, 12);
        for (var step = 0; step < 12; step++)
        {
            if (step == defineAt)
            {
                await f.Db.CreateIndexAsync("c", "text", IndexKind.Search);   // built while writes go on
            }

            var ops = new List<DocumentOp>();
            for (var n = random.Next(1, 5); n > 0; n--)
            {
                var id = IdPool[random.Next(IdPool.Length)];
                if (random.Next(3) == 0)
                {
                    ops.Add(DocumentOp.Delete("c", id));
                    texts.Remove(id);
                }
                else
                {
                    var text = string.Join(' ', Enumerable.Range(0, random.Next(0, 3)).Select(_ => Words[random.Next(Words.Length)]));
                    ops.Add(DocumentOp.Put("c", id, Json($$"""{"text": "{{text}}"}""")));
                    texts[id] = text;
                }
            }

            await f.Db.BatchAsync(ops);
        }

        if (defineAt >= 12)
        {
            await f.Db.CreateIndexAsync("c", "text", IndexKind.Search);
        }

        await f.Db.WhenIndexesReadyAsync();
        if (random.Next(2) == 0)
        {
            f.Reopen();
        }

        IndexCheck.AssertAllConsistent(f.Db);
        foreach (var first in Words)
        {
            foreach (var second in Words)
            {
                var expected = texts.Where(t => t.Value.Split(' ').Contains(first) && t.Value.Split(' ').Contains(second))
                    .Select(t => t.Key).Order(StringComparer.Ordinal).ToList();
                Assert.True(expected.SequenceEqual(Ids(f.Db.Query($"FROM c SEARCH \"{first} {second}\""))), $"seed {seed}: SEARCH \"{first} {second}\"");
            }
        }
    }

    /// <summary>The ids held by slots <paramref name="from"/> to <paramref name="to"/> of the collection's number table (null: empty).</summary>
    private static List<string?> Slots(Database db, string collection, long from, long to)
    {
        var result = new List<string?>();
        for (var number = from; number <= to; number++)
        {
            var id = db.Engine.Get(SearchNumbers.SlotKey(new KeyBuilder(), collection, number).Span);
            result.Add(id is null ? null : new KeyReader(id).String());
        }

        return result;
    }

    private static List<string> Ids(QueryResult result) =>
        result.Rows.Select(r => System.Text.Json.JsonDocument.Parse(r).RootElement.GetProperty("_id").GetString()!).ToList();
}
