using System.Text;
using Quire.Documents;
using Quire.Keys;
using static Quire.Tests.DocumentsFixture;

namespace Quire.Tests.Documents;

public class DocumentTests
{
    [Fact]
    public async Task A_put_document_reads_back_with_id_first_and_seq_last()
    {
        using var f = new DocumentsFixture();
        var stored = await f.Db.PutAsync("users", "u1", Json("""{"_seq": 99, "name": "Ann", "_id": "other", "age": 3}"""));
        Assert.Equal(0, stored.Seq);
        Assert.Equal("""{"_id":"u1","name":"Ann","age":3,"_seq":0}""", Encoding.UTF8.GetString(stored.Json));
        var read = f.Db.Get("users", "u1")!;
        Assert.Equal(stored.Json, read.Json);
        Assert.Null(f.Db.Get("users", "u2"));
    }

    [Fact]
    public async Task Each_concurrent_put_returns_the_document_it_wrote_at_its_own_seq()
    {
        using var f = new DocumentsFixture();
        var puts = Enumerable.Range(0, 32).Select(i => Task.Run(() => f.Db.PutAsync("users", "u1", Json($$"""{"writer": {{i}}}""")))).ToArray();
        var documents = await Task.WhenAll(puts);
        for (var i = 0; i < documents.Length; i++)
        {
            Assert.Equal($$"""{"_id":"u1","writer":{{i}},"_seq":{{documents[i].Seq}}}""", Encoding.UTF8.GetString(documents[i].Json));
        }

        Assert.Equal(32, documents.Select(d => d.Seq).Distinct().Count());
    }

    [Fact]
    public async Task Seq_counts_ops_and_a_batch_takes_one_seq_per_op()
    {
        using var f = new DocumentsFixture();
        await f.Db.PutAsync("c", "a", Json("{}"));
        var result = await f.Db.BatchAsync([
            DocumentOp.Put("c", "b", Json("""{"v": 1}""")),
            DocumentOp.Link("c:a", "likes", "c:b"),
            DocumentOp.Put("c", "b", Json("""{"v": 2}""")),
            DocumentOp.Delete("c", "a"),
        ]);
        Assert.Equal([1L, 2, 3, 4], result.Results.Select(r => r.Seq));
        Assert.Equal([OpKind.Put, OpKind.Link, OpKind.Put, OpKind.Delete], result.Results.Select(r => r.Kind));
        Assert.Equal(4, result.Seq);
        Assert.Equal(3, f.Db.Get("c", "b")!.Seq);
        Assert.Contains("\"v\":2", Encoding.UTF8.GetString(f.Db.Get("c", "b")!.Json), StringComparison.Ordinal);
        Assert.Null(f.Db.Get("c", "a"));
    }

    [Fact]
    public async Task If_seq_failures_are_all_listed_and_nothing_is_applied()
    {
        using var f = new DocumentsFixture();
        await f.Db.PutAsync("c", "a", Json("{}"));          // seq 0
        await f.Db.PutAsync("c", "b", Json("{}"));          // seq 1
        await f.Db.DeleteAsync("c", "b");                   // seq 2
        var error = await Assert.ThrowsAsync<PreconditionFailedException>(() => f.Db.BatchAsync([
            DocumentOp.Put("c", "a", Json("""{"x": 1}"""), ifSeq: 0),     // holds
            DocumentOp.Put("c", "new", Json("{}"), ifSeq: 5),              // never written
            DocumentOp.Put("c", "a", Json("{}"), ifSeq: -1),               // exists
            DocumentOp.Delete("c", "b", ifSeq: 1),                         // deleted at 2
        ]));
        Assert.Equal(
            [new PreconditionFailure(1, "c", "new", 5, null), new PreconditionFailure(2, "c", "a", -1, 0), new PreconditionFailure(3, "c", "b", 1, 2)],
            error.Failures);
        Assert.Equal(2, error.Seq);
        Assert.Equal(2, f.Db.Seq);
        Assert.DoesNotContain("\"x\"", Encoding.UTF8.GetString(f.Db.Get("c", "a")!.Json), StringComparison.Ordinal);
    }

    [Fact]
    public async Task If_seq_holds_for_the_exact_version_and_minus_one_for_absent_or_deleted()
    {
        using var f = new DocumentsFixture();
        await f.Db.PutAsync("c", "a", Json("{}"), ifSeq: -1);                     // 0
        await f.Db.PutAsync("c", "a", Json("""{"v": 2}"""), ifSeq: 0);            // 1
        await f.Db.DeleteAsync("c", "a", ifSeq: 1);                               // 2
        await f.Db.PutAsync("c", "a", Json("""{"v": 3}"""), ifSeq: -1);           // 3
        Assert.Equal(3, f.Db.Get("c", "a")!.Seq);

        await f.Db.DeleteAsync("c", "a");                                         // 4
        var result = await f.Db.BatchAsync([DocumentOp.Put("c", "a", Json("{}"), ifSeq: 4)]);
        Assert.Equal(5, result.Seq);
    }

    [Fact]
    public async Task Links_are_stored_in_both_directions()
    {
        using var f = new DocumentsFixture();
        await f.Db.LinkAsync("kv:a", "touched_by", "kv:b");
        var key = new KeyBuilder();
        Assert.NotNull(f.Db.Engine.Get(Keyspace.Edge(key, Keyspace.LinksOut, "kv:a", "touched_by", "kv:b").Span));
        Assert.NotNull(f.Db.Engine.Get(Keyspace.Edge(key, Keyspace.LinksIn, "kv:b", "touched_by", "kv:a").Span));
    }

    [Fact]
    public async Task Bad_input_gets_a_clear_error_and_changes_nothing()
    {
        using var f = new DocumentsFixture();
        await f.Db.PutAsync("c", "a", Json("""{"keep": true}"""));
        var big = Json($$"""{"blob": "{{new string('x', 1024 * 1024)}}"}""");

        Assert.Contains("must be a JSON object, not an array", (await Assert.ThrowsAsync<InvalidDocumentException>(() => f.Db.PutAsync("c", "b", Json("[1]")))).Message, StringComparison.Ordinal);
        Assert.Equal("a document must be a JSON object, not a string", (await Assert.ThrowsAsync<InvalidDocumentException>(() => f.Db.PutAsync("c", "b", Json("\"s\"")))).Message);
        Assert.Contains("exceeds the limit", (await Assert.ThrowsAsync<InvalidDocumentException>(() => f.Db.PutAsync("c", "b", big))).Message, StringComparison.Ordinal);
        Assert.Contains("out of range", (await Assert.ThrowsAsync<InvalidDocumentException>(() => f.Db.PutAsync("c", "b", Json("""{"n": 1e99999999}""")))).Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<InvalidNameException>(() => f.Db.PutAsync("bad name", "b", Json("{}")));
        await Assert.ThrowsAsync<InvalidNameException>(() => f.Db.PutAsync("users\n", "b", Json("{}")));   // a trailing newline is not part of a name
        await Assert.ThrowsAsync<InvalidNameException>(() => f.Db.PutAsync("c", "", Json("{}")));
        await Assert.ThrowsAsync<InvalidNameException>(() => f.Db.PutAsync("c", new string('i', 513), Json("{}")));
        await Assert.ThrowsAsync<InvalidNameException>(() => f.Db.LinkAsync("", "r", "x"));
        var batchError = await Assert.ThrowsAsync<InvalidOpException>(() => f.Db.BatchAsync([
            DocumentOp.Put("c", "a", Json("""{"keep": false}""")),
            DocumentOp.Put("c", "b", Json("3")),
        ]));
        Assert.StartsWith("bad op at index 1: a document must be a JSON object", batchError.Message, StringComparison.Ordinal);
        Assert.Equal("ops array is required", (await Assert.ThrowsAsync<InvalidOpException>(() => f.Db.BatchAsync([]))).Message);
        await Assert.ThrowsAsync<InvalidOpException>(() => f.Db.BatchAsync([DocumentOp.Delete("c", "a", ifSeq: -2)]));

        var invalid = Assert.Throws<InvalidDocumentException>(() => DocumentJson.Parse("{\"a\": 1,"));
        Assert.StartsWith("invalid JSON: ", invalid.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidDocumentException>(() => DocumentJson.Parse(Encoding.UTF8.GetBytes(new string('[', 100) + new string(']', 100))));

        Assert.Equal(0, f.Db.Seq);
        Assert.Contains("\"keep\":true", Encoding.UTF8.GetString(f.Db.Get("c", "a")!.Json), StringComparison.Ordinal);
        Assert.Null(f.Db.Get("c", "b"));
    }

    [Fact]
    public async Task Collections_are_listed_from_their_documents()
    {
        using var f = new DocumentsFixture();
        await f.Db.PutAsync("b", "1", Json("{}"));
        await f.Db.PutAsync("a", "1", Json("{}"));
        await f.Db.PutAsync("a.x", "1", Json("{}"));
        await f.Db.PutAsync("gone", "1", Json("{}"));
        await f.Db.DeleteAsync("gone", "1");
        Assert.Equal(["a", "a.x", "b"], f.Db.Collections());
    }

    [Fact]
    public async Task Documents_survive_a_reopen_with_their_versions()
    {
        using var f = new DocumentsFixture();
        await f.Db.PutAsync("c", "a", Json("""{"n": 12345678901234567890}"""));
        await f.Db.PutAsync("c", "b", Json("""{"n": 2}"""));
        f.Reopen();
        Assert.Equal("""{"_id":"a","n":12345678901234567890,"_seq":0}""", Encoding.UTF8.GetString(f.Db.Get("c", "a")!.Json));
        Assert.Equal(1, f.Db.Get("c", "b")!.Seq);
        Assert.Equal(2, (await f.Db.PutAsync("c", "c", Json("{}"))).Seq);
    }
}
