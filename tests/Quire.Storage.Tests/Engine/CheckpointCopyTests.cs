using System.Security.Cryptography;
using Quire.Storage.Engine;
using Quire.Storage.Format;
using Quire.Storage.Log;
using Quire.TestSupport;
using static Quire.Storage.Tests.Keys;

namespace Quire.Storage.Tests.Engine;

/// <summary>A copy of the durable checkpoint taken while writes and checkpoints go on, and the log after it: together, the database.</summary>
public class CheckpointCopyTests
{
    private static readonly byte[] Prefix = B("log/");

    private static async Task WriteAsync(StorageEngine engine, Random random, int batches)
    {
        for (var i = 0; i < batches; i++)
        {
            using var batch = new WriteBatch();
            for (var op = random.Next(1, 4); op > 0; op--)
            {
                var builder = batch.BeginOp();
                var key = B($"k{random.Next(3000):D5}");
                if (random.Next(6) == 0)
                {
                    builder.Delete(key);
                }
                else
                {
                    // Now and then a value big enough for overflow pages.
                    builder.Put(key, random.Next(40) == 0 ? new byte[20_000 + random.Next(5000)] : B($"v{i}-{op}-{random.Next()}"));
                }

                builder.Chain(Prefix, SHA256.HashData(B($"{i}/{op}")), B($"body {i} {op}")).End();
            }

            await engine.CommitAsync(batch);
        }
    }

    private static List<(string Key, string Value, long Version)> Contents(StorageEngine engine) =>
        [.. engine.Scan().Select(e => (Convert.ToHexString(e.Key), Convert.ToHexString(e.Value), e.Version))];

    [Fact]
    public async Task A_copy_taken_while_writes_and_checkpoints_go_on_opens_as_the_database_at_its_seq_and_follows_the_log_to_its_end()
    {
        var fs = new FaultyFileSystem();
        var random = new Random(11);
        using var primary = EngineFixture.Open(fs);
        await WriteAsync(primary, random, 400);
        await primary.CheckpointAsync();
        await WriteAsync(primary, random, 200);   // after the checkpoint: not in the copy, in the log after it

        var copied = new MemoryStream();
        using (var copy = primary.OpenCheckpointCopy())
        {
            Assert.Equal(primary.CheckpointedSeq, copy.Seq);
            var checkpointSeq = copy.Seq;

            // Overwrite everything and checkpoint many times while the copy is open: none of its pages may be reused.
            for (var round = 0; round < 6; round++)
            {
                await WriteAsync(primary, random, 300);
                await primary.CheckpointAsync();
            }

            await copy.WriteToAsync(copied);
            Assert.Equal(copy.Length, copied.Length);
            Assert.True(primary.LogStartSeq <= checkpointSeq + 1, "the log after the copy's seq is kept while it is open");
        }

        copied.Position = 0;
        var replicaFs = new FaultyFileSystem();
        var seq = await CheckpointCopy.ReceiveAsync(copied, EngineFixture.Directory, EngineFixture.Options(replicaFs));
        using var replica = StorageEngine.Open(EngineFixture.Directory, EngineFixture.Options(replicaFs));
        Assert.Equal(seq, replica.LastSeq);
        Assert.Equal(primary.Identity, replica.Identity);

        replica.ReadOnlyReason = "read-only replica of test";
        foreach (var record in primary.ReadLog(seq + 1))
        {
            await replica.CommitReplicatedAsync(new LogRecord(record.FirstSeq, record.OpCount, record.Payload.ToArray()));
        }

        Assert.Equal(primary.LastSeq, replica.LastSeq);
        Assert.Equal(primary.ChainHead.Head, replica.ChainHead.Head);
        Assert.Equal(Contents(primary), Contents(replica));
    }

    [Fact]
    public async Task Pages_held_by_a_copy_are_reused_once_it_is_disposed()
    {
        using var engine = EngineFixture.Open(new FaultyFileSystem());
        var random = new Random(3);
        async Task<long> RoundsAsync(int rounds)
        {
            for (var round = 0; round < rounds; round++)
            {
                for (var i = 0; i < 300; i++)
                {
                    await engine.CommitAsync(new WriteBatch().Put(B($"k{random.Next(300):D3}"), B($"v{random.Next()}")));
                }

                await engine.CheckpointAsync();
            }

            return engine.DataFilePages;
        }

        var settled = await RoundsAsync(10);
        long held;
        using (engine.OpenCheckpointCopy())
        {
            held = await RoundsAsync(10);
            Assert.True(held > settled * 2, $"while the copy is open, no page it holds is written again: the file grows ({settled} to {held} pages)");
        }

        // Released: its pages are reused, and the file grows no more than the free list's own pages.
        var released = await RoundsAsync(10);
        var later = await RoundsAsync(20);
        Assert.True(later - released < (held - settled) / 4, $"{settled} pages, {held} while held, {released} and {later} after");
        Assert.True(engine.FreePages > 0);
    }

    [Fact]
    public async Task A_copy_cut_short_or_damaged_is_refused_and_leaves_no_database()
    {
        using var engine = EngineFixture.Open(new FaultyFileSystem());
        await WriteAsync(engine, new Random(4), 100);
        await engine.CheckpointAsync();
        var whole = new MemoryStream();
        using (var copy = engine.OpenCheckpointCopy())
        {
            await copy.WriteToAsync(whole);
        }

        var bytes = whole.ToArray();
        var fs = new FaultyFileSystem();
        await Assert.ThrowsAsync<CorruptDataException>(() => CheckpointCopy.ReceiveAsync(new MemoryStream(bytes[..(bytes.Length / 2)]), "/a", EngineFixture.Options(fs)));
        Assert.False(fs.FileExists("/a/quire.db"));

        var flipped = (byte[])bytes.Clone();
        flipped[bytes.Length / 2] ^= 0x10;
        await Assert.ThrowsAsync<CorruptDataException>(() => CheckpointCopy.ReceiveAsync(new MemoryStream(flipped), "/b", EngineFixture.Options(fs)));
        Assert.False(fs.FileExists("/b/quire.db"));

        await Assert.ThrowsAsync<CorruptDataException>(() => CheckpointCopy.ReceiveAsync(new MemoryStream(B("not a copy at all, just some text that is long enough for a header")), "/c", EngineFixture.Options(fs)));
    }
}
