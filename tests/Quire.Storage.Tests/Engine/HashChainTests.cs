using Quire.Storage.Format;
using System.Security.Cryptography;
using Quire.Storage.Engine;
using Quire.TestSupport;
using static Quire.Storage.Tests.Keys;

namespace Quire.Storage.Tests.Engine;

public class HashChainTests
{
    private static readonly byte[] Prefix = B("log/");

    [Fact]
    public async Task Chained_ops_are_stored_under_prefix_and_seq_and_linked_in_seq_order()
    {
        using var engine = EngineFixture.Open(new FaultyFileSystem());
        var head = new byte[32];
        await engine.CommitAsync(new WriteBatch().Put(B("unchained"), B("x")));   // seq 0: not in the chain
        for (var i = 0; i < 3; i++)
        {
            using var batch = new WriteBatch();
            batch.BeginOp().Put(B($"k{i}"), B("v")).Chain(Prefix, Digest($"op{i}"), B($"body{i}")).End();
            batch.BeginOp().Put(B($"j{i}"), B("w")).Chain(Prefix, Digest($"second{i}"), B("b")).End();
            var result = await engine.CommitAsync(batch);
            head = Expect(engine, result.FirstSeq, head, Digest($"op{i}"), $"body{i}");
            head = Expect(engine, result.LastSeq, head, Digest($"second{i}"), "b");
        }

        var (seq, current) = engine.ChainHead;
        Assert.Equal(engine.LastSeq, seq);
        Assert.Equal(head, current);
    }

    [Fact]
    public async Task The_head_continues_across_checkpoints_replays_and_reopens()
    {
        var fs = new FaultyFileSystem();
        byte[] head;
        using (var engine = EngineFixture.Open(fs))
        {
            await Chain(engine, "a");
            await engine.CheckpointAsync();
            await Chain(engine, "b");    // left in the log: replayed on open
            head = engine.ChainHead.Head;
        }

        using (var engine = EngineFixture.Open(fs))
        {
            Assert.Equal(head, engine.ChainHead.Head);
            var result = await Chain(engine, "c");
            Expect(engine, result.FirstSeq, head, Digest("c"), "c");
        }
    }

    private static async Task<CommitResult> Chain(StorageEngine engine, string name)
    {
        using var batch = new WriteBatch();
        batch.BeginOp().Put(B(name), B("v")).Chain(Prefix, Digest(name), B(name)).End();
        return await engine.CommitAsync(batch);
    }

    private static byte[] Expect(StorageEngine engine, long seq, byte[] previous, byte[] digest, string body)
    {
        var key = new byte[Prefix.Length + 8];
        HashChain.RecordKey(Prefix, seq, key);
        var record = engine.Get(key);
        Assert.NotNull(record);
        var expected = SHA256.HashData([.. previous, .. BitConverter.GetBytes(seq).Reverse(), .. digest]);
        Assert.Equal(previous, HashChain.PreviousOf(record).ToArray());
        Assert.Equal(expected, HashChain.HashOf(record).ToArray());
        Assert.Equal(digest, HashChain.DigestOf(record).ToArray());
        Assert.Equal(body, S(HashChain.BodyOf(record).ToArray()));
        return expected;
    }

    private static byte[] Digest(string text) => SHA256.HashData(B(text));
}
