using System.Text;
using Microsoft.Extensions.Time.Testing;
using Quire.Databases;
using Quire.Documents;
using Quire.Indexes;
using Quire.Storage.Engine;
using static Quire.Tests.DocumentsFixture;

namespace Quire.Tests.Documents;

public class ReplayAndExpiryTests
{
    [Fact]
    public async Task A_client_nonce_must_grow_and_missing_nonces_are_assigned()
    {
        using var f = new DocumentsFixture();
        var first = await f.Db.BatchAsync([DocumentOp.Put("c", "a", Json("{}"))], new BatchOptions { Client = "app" });
        Assert.Equal(1, first.Nonce);
        var given = await f.Db.BatchAsync([DocumentOp.Put("c", "b", Json("{}"))], new BatchOptions { Client = "app", Nonce = 10 });
        Assert.Equal(10, given.Nonce);
        var error = await Assert.ThrowsAsync<NonceReplayException>(() =>
            f.Db.BatchAsync([DocumentOp.Put("c", "x", Json("{}"))], new BatchOptions { Client = "app", Nonce = 10 }));
        Assert.Equal("replay/stale nonce for client 'app': 10 <= 10", error.Message);
        Assert.Null(f.Db.Get("c", "x"));
        Assert.Equal(11, (await f.Db.BatchAsync([DocumentOp.Delete("c", "a")], new BatchOptions { Client = "app" })).Nonce);
        Assert.Equal(1, (await f.Db.BatchAsync([DocumentOp.Delete("c", "a")], new BatchOptions { Client = "other" })).Nonce);
    }

    [Fact]
    public async Task Concurrent_batches_of_one_client_take_distinct_nonces()
    {
        using var f = new DocumentsFixture();
        var results = await Task.WhenAll(Enumerable.Range(0, 64).Select(i =>
            f.Db.BatchAsync([DocumentOp.Put("c", $"d{i}", Json("{}"))], new BatchOptions { Client = "app" })));
        Assert.Equal(Enumerable.Range(1, 64).Select(n => (long?)n), results.Select(r => r.Nonce).Order());
    }

    [Fact]
    public async Task An_idempotency_key_applies_once_and_returns_the_earlier_result()
    {
        using var f = new DocumentsFixture();
        var first = await f.Db.WriteAsync(DocumentOp.Put("c", "a", Json("""{"v": 1}""")) with { Idem = "k1" });
        await f.Db.PutAsync("c", "a", Json("""{"v": 2}"""));
        var again = await f.Db.WriteAsync(DocumentOp.Put("c", "a", Json("""{"v": 3}""")) with { Idem = "k1" });
        Assert.True(again.Replayed);
        Assert.Equal(first.Seq, again.Seq);
        Assert.Contains("\"v\":2", Encoding.UTF8.GetString(f.Db.Get("c", "a")!.Json), StringComparison.Ordinal);

        var batch = await f.Db.BatchAsync([
            DocumentOp.Put("c", "b", Json("{}")) with { Idem = "k1" },
            DocumentOp.Put("c", "c", Json("{}")) with { Idem = "k2" },
        ]);
        Assert.True(batch.Results[0].Replayed);
        Assert.False(batch.Results[1].Replayed);
        Assert.Null(f.Db.Get("c", "b"));
        Assert.NotNull(f.Db.Get("c", "c"));
        await Assert.ThrowsAsync<InvalidOpException>(() => f.Db.BatchAsync([
            DocumentOp.Put("c", "d", Json("{}")) with { Idem = "k3" },
            DocumentOp.Put("c", "e", Json("{}")) with { Idem = "k3" },
        ]));
    }

    [Fact]
    public async Task An_expired_document_is_absent_everywhere_and_the_reaper_deletes_it()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(1_000_000));
        using var f = new DocumentsFixture(new DatabaseOptions
        {
            Storage = new StorageOptions { Durability = Durability.Batch },
            Clock = clock,
            ExpiryScanInterval = TimeSpan.FromDays(1),
        });
        var index = await f.Db.CreateIndexAsync("s", "user", IndexKind.Eq);
        await f.Db.WriteAsync(DocumentOp.Put("s", "short", Json("""{"user": "u"}""")) with { TtlSeconds = 10 });
        await f.Db.PutAsync("s", "fixed", Json("""{"user": "u", "_expires_at": 1005}"""));
        await f.Db.PutAsync("s", "forever", Json("""{"user": "u"}"""));
        Assert.Contains("\"_expires_at\":1010,\"_seq\"", Encoding.UTF8.GetString(f.Db.Get("s", "short")!.Json), StringComparison.Ordinal);

        clock.Advance(TimeSpan.FromSeconds(6));
        Assert.Null(f.Db.Get("s", "fixed"));
        Assert.NotNull(f.Db.Get("s", "short"));
        var recreated = await f.Db.PutAsync("s", "fixed", Json("""{"user": "v"}"""), ifSeq: -1);     // expired = absent
        Assert.Equal(["v"], IndexCheck.IdsFor(f.Db, "s", index, "\"v\"").Select(_ => "v"));

        clock.Advance(TimeSpan.FromSeconds(5));
        Assert.Null(f.Db.Get("s", "short"));
        Assert.Equal(1, await f.Db.ReapExpiredAsync());
        Assert.Equal(["forever"], IndexCheck.IdsFor(f.Db, "s", index, "\"u\""));
        Assert.Equal(0, await f.Db.ReapExpiredAsync());
        Assert.NotNull(f.Db.Get("s", "fixed"));
        Assert.True(recreated.Seq > 0);
        IndexCheck.AssertAllConsistent(f.Db);
    }

    [Fact]
    public async Task A_document_renewed_before_the_reaper_runs_survives()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(5_000_000));
        using var f = new DocumentsFixture(new DatabaseOptions { Clock = clock, ExpiryScanInterval = TimeSpan.FromDays(1) });
        await f.Db.WriteAsync(DocumentOp.Put("s", "a", Json("{}")) with { TtlSeconds = 1 });
        await f.Db.WriteAsync(DocumentOp.Put("s", "a", Json("{}")) with { TtlSeconds = 100 });
        clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(0, await f.Db.ReapExpiredAsync());
        Assert.NotNull(f.Db.Get("s", "a"));
        await Assert.ThrowsAsync<InvalidDocumentException>(() => f.Db.WriteAsync(DocumentOp.Put("s", "b", Json("{}")) with { TtlSeconds = 0 }));
        await Assert.ThrowsAsync<InvalidDocumentException>(() => f.Db.PutAsync("s", "b", Json("""{"_expires_at": "soon"}""")));
    }
}
