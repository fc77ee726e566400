using Quire.Storage.Format;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Quire.Databases;
using Quire.Documents;
using Quire.Keys;
using Quire.OpLog;
using Quire.Storage.Engine;
using static Quire.Tests.DocumentsFixture;

namespace Quire.Tests.OpLog;

public class OpLogTests
{
    [Fact]
    public async Task Every_op_leaves_a_record_linked_into_the_chain_that_verify_recomputes()
    {
        using var f = new DocumentsFixture();
        Assert.Equal((-1L, new string('0', 64)), f.Db.Head);
        await f.Db.PutAsync("kv", "a", Json("""{"v": 1}"""));
        await f.Db.BatchAsync([
            DocumentOp.Link("kv:a", "touched_by", "kv:b"),
            DocumentOp.Delete("kv", "a") with { Idem = "once" },
        ], new BatchOptions { Client = "app" });

        var log = f.Db.ReadLog(10).Reverse().ToList();   // newest first, as nedbd's
        Assert.Equal([2L, 1, 0], f.Db.ReadLog(10).Select(r => r.Seq));
        Assert.Equal([0L, 1, 2], log.Select(r => r.Seq));
        Assert.Equal(["put", "link", "del"], log.Select(r => r.Op));
        Assert.Equal("""{"coll":"kv","doc":{"_id":"a","v":1},"id":"a"}""", log[0].Payload.GetRawText());
        Assert.Equal("app", log[2].Client);
        Assert.Equal(1, log[2].Nonce);
        Assert.Equal("once", log[2].Idem);
        Assert.Equal(new string('0', 64), log[0].PrevHash);
        Assert.Equal(log[0].Hash, log[1].PrevHash);
        Assert.Equal((2L, log[2].Hash), f.Db.Head);
        Assert.Equal(Expected(log[0].PrevHash, 0, log[0].Body), log[0].Hash);

        Assert.Equal([2L, 1], f.Db.ReadLog(2).Select(r => r.Seq));
        var verified = f.Db.Verify();
        Assert.True(verified.Ok, verified.Problem);
        Assert.Equal(3, verified.Records);
        Assert.Equal(log[2].Hash, verified.Head);
    }

    [Fact]
    public async Task Verify_names_the_record_that_was_tampered_with()
    {
        using var f = new DocumentsFixture();
        for (var i = 0; i < 5; i++)
        {
            await f.Db.PutAsync("c", $"d{i}", Json($$"""{"n": {{i}}}"""));
        }

        var key = new KeyBuilder().Byte(Keyspace.OpLog).Int64(3).ToArray();
        var record = f.Db.Engine.Get(key)!;
        var forged = record.ToArray();
        forged[^3] ^= 1;      // a byte of the body
        await f.Db.Engine.CommitAsync(new WriteBatch().Put(key, forged));

        var result = f.Db.Verify();
        Assert.False(result.Ok);
        Assert.Equal("the record at seq 3 does not match its digest", result.Problem);
    }

    [Fact]
    public async Task The_chain_survives_reopen_and_retention_keeps_it_verifiable()
    {
        using var f = new DocumentsFixture(new DatabaseOptions { OpLogRetention = 5, ExpiryScanInterval = TimeSpan.FromDays(1) });
        for (var i = 0; i < 20; i++)
        {
            await f.Db.PutAsync("c", $"d{i % 3}", Json($$"""{"n": {{i}}}"""));
        }

        var head = f.Db.Head;
        f.Reopen();
        Assert.Equal(head, f.Db.Head);
        Assert.Equal(15, await f.Db.PruneOpLogAsync());
        Assert.Equal([19L, 18, 17, 16, 15], f.Db.ReadLog(100).Select(r => r.Seq));
        var result = f.Db.Verify();
        Assert.True(result.Ok, result.Problem);
        Assert.Equal(5, result.Records);
        Assert.Equal(head.Head, result.Head);
    }

    [Fact]
    public async Task The_timed_pruner_waits_for_a_commits_worth_past_retention_instead_of_pruning_after_every_write()
    {
        using var f = new DocumentsFixture(new DatabaseOptions { OpLogRetention = 1000, ExpiryScanInterval = TimeSpan.FromDays(1) });
        var pruner = new OpLogPruner(f.Db.Engine, 1000);   // due at 10 past retention: a hundredth of it
        for (var i = 0; i < 1005; i++)
        {
            await f.Db.PutAsync("c", $"d{i % 7}", Json($$"""{"n": {{i}}}"""));
        }

        var seq = f.Db.Head.Seq;
        Assert.Equal(0, await pruner.PruneDueAsync(CancellationToken.None));
        Assert.Equal(seq, f.Db.Head.Seq);   // no commit: nothing for replicas or the archive to carry
        for (var i = 0; i < 10; i++)
        {
            await f.Db.PutAsync("c", "e", Json($$"""{"n": {{i}}}"""));
        }

        Assert.Equal(15, await pruner.PruneDueAsync(CancellationToken.None));
        Assert.Equal(0, await pruner.PruneDueAsync(CancellationToken.None));
        Assert.True(f.Db.Verify().Ok);
    }

    [Fact]
    public void Canonical_json_follows_rfc_8785()
    {
        var input = """{"numbers":[333333333.33333329,1E30,4.50,2e-3,0.000000000000000000000000001],"string":"\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/","literals":[null,true,false]}""";
        var expected = """{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}""";
        Assert.Equal(expected, Encoding.UTF8.GetString(CanonicalJson.Serialize(JsonDocument.Parse(input).RootElement)));
        Assert.Equal("""{"\r":1,"1":2,"€":3,"😀":4,"ﬀ":5}""", Encoding.UTF8.GetString(CanonicalJson.Serialize(JsonDocument.Parse("""{"ﬀ":5,"😀":4,"€":3,"1":2,"\r":1}""").RootElement)));
        Assert.Equal(["0", "0", "1e+21", "100000000000000000000", "0.000001", "1e-7", "-5e-324", "1.7976931348623157e+308", "123.456"],
            new[] { 0.0, -0.0, 1e21, 1e20, 1e-6, 1e-7, -5e-324, double.MaxValue, 123.456 }.Select(CanonicalJson.Number));
        Assert.Throws<FormatException>(() => CanonicalJson.Serialize(JsonDocument.Parse("""{"a":1,"a":2}""").RootElement));
    }

    private static string Expected(string previousHex, long seq, byte[] body)
    {
        var hash = new byte[32];
        HashChain.Link(Convert.FromHexString(previousHex), seq, SHA256.HashData(body), hash);
        return Convert.ToHexStringLower(hash);
    }
}
