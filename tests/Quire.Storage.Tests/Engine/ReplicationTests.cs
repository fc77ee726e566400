using System.Security.Cryptography;
using Quire.Storage.Engine;
using Quire.TestSupport;
using static Quire.Storage.Tests.Keys;

namespace Quire.Storage.Tests.Engine;

/// <summary>A replica engine committing its primary's log records as they are.</summary>
public class ReplicationTests
{
    private static readonly byte[] Prefix = B("log/");

    private static async Task WriteRandomAsync(StorageEngine engine, Random random, int batches)
    {
        for (var i = 0; i < batches; i++)
        {
            using var batch = new WriteBatch();
            for (var op = random.Next(1, 4); op > 0; op--)
            {
                var builder = batch.BeginOp();
                var key = B($"k{random.Next(200):D3}");
                if (random.Next(5) == 0)
                {
                    builder.Delete(key);
                }
                else
                {
                    builder.Put(key, B($"v{i}-{op}"));
                }

                builder.Chain(Prefix, SHA256.HashData(B($"{i}/{op}")), B($"body {i} {op}")).End();
            }

            await engine.CommitAsync(batch);
        }
    }

    private static List<(string Key, string Value, long Version)> Contents(StorageEngine engine) =>
        [.. engine.Scan().Select(e => (Convert.ToHexString(e.Key), Convert.ToHexString(e.Value), e.Version))];

    [Fact]
    public async Task A_replica_that_commits_the_primarys_records_has_its_keys_versions_seqs_and_chain_head()
    {
        var random = new Random(5);
        using var primary = EngineFixture.Open(new FaultyFileSystem());
        using var hold = primary.LogHolds.Take(0);   // a checkpoint must not recycle what the replica still reads
        await WriteRandomAsync(primary, random, 150);
        await primary.CheckpointAsync();
        await WriteRandomAsync(primary, random, 150);

        using var replica = EngineFixture.Open(new FaultyFileSystem());
        replica.ReadOnlyReason = "read-only replica of test";
        var inFlight = primary.ReadLog(0).Select(record => replica.CommitReplicatedAsync(new Quire.Storage.Log.LogRecord(record.FirstSeq, record.OpCount, record.Payload.ToArray())).AsTask()).ToList();
        await Task.WhenAll(inFlight);   // many in flight at once: they keep their order

        Assert.Equal(primary.LastSeq, replica.LastSeq);
        Assert.Equal(primary.ChainHead.Head, replica.ChainHead.Head);
        Assert.Equal(Contents(primary), Contents(replica));
        await Assert.ThrowsAsync<ReadOnlyEngineException>(async () => await replica.CommitAsync(new WriteBatch().Put(B("local"), B("x"))));
    }

    [Fact]
    public async Task A_record_out_of_order_is_refused_and_nothing_of_it_is_applied()
    {
        using var primary = EngineFixture.Open(new FaultyFileSystem());
        await WriteRandomAsync(primary, new Random(1), 10);
        var records = primary.ReadLog(0).Select(r => new Quire.Storage.Log.LogRecord(r.FirstSeq, r.OpCount, r.Payload.ToArray())).ToList();

        using var replica = EngineFixture.Open(new FaultyFileSystem());
        await replica.CommitReplicatedAsync(records[0]);
        var gap = await Assert.ThrowsAsync<ReplicationGapException>(async () => await replica.CommitReplicatedAsync(records[2]));
        Assert.Equal(records[1].FirstSeq, gap.Expected);
        await Assert.ThrowsAsync<ReplicationGapException>(async () => await replica.CommitReplicatedAsync(records[0]));   // again: a repeat
        Assert.Equal(records[0].LastSeq, replica.LastSeq);
        await replica.CommitReplicatedAsync(records[1]);
        Assert.Equal(records[1].LastSeq, replica.LastSeq);
    }

    [Fact]
    public async Task A_held_log_keeps_its_records_through_checkpoints_and_a_released_one_does_not()
    {
        using var engine = EngineFixture.Open(new FaultyFileSystem(), segmentSize: 64 * 1024);
        var hold = engine.LogHolds.Take(0);
        await WriteRandomAsync(engine, new Random(2), 1500);
        await engine.CheckpointAsync();
        Assert.Equal(0, engine.ReadLog(0).First().FirstSeq);

        hold.MoveTo(engine.LastSeq);
        hold.Dispose();
        await WriteRandomAsync(engine, new Random(3), 1500);
        await engine.CheckpointAsync();
        Assert.True(engine.LogStartSeq > 0, "the log was recycled once nothing held it");
    }

    [Fact]
    public async Task A_cursor_tailing_the_log_reads_every_record_once_in_order_across_segments()
    {
        using var engine = EngineFixture.Open(new FaultyFileSystem(), segmentSize: 64 * 1024);
        using var hold = engine.LogHolds.Take(0);
        var cursor = new Quire.Storage.Log.LogCursor(0);
        var tailed = new List<(long, int)>();
        var random = new Random(9);
        for (var round = 0; round < 40; round++)
        {
            await WriteRandomAsync(engine, random, random.Next(0, 60));
            tailed.AddRange(engine.ReadLog(cursor, maxBytes: random.Next(1, 64 * 1024)).Select(r => (r.FirstSeq, r.OpCount)));
        }

        while (engine.ReadLog(cursor) is { Count: > 0 } more)
        {
            tailed.AddRange(more.Select(r => (r.FirstSeq, r.OpCount)));
        }

        Assert.Equal(engine.ReadLog(0).Select(r => (r.FirstSeq, r.OpCount)), tailed);
        Assert.Equal(engine.LastSeq + 1, cursor.NextSeq);
        Assert.True(engine.ReadLog(0).Select(r => r.FirstSeq).Distinct().Count() > 100);
    }

    [Fact]
    public async Task A_new_cursor_far_into_a_segment_reads_its_records_however_small_the_budget()
    {
        // One large segment: a new cursor scans it from the start, and the records it skips must
        // not use up the read's budget (an empty answer would say there is nothing to read).
        using var engine = EngineFixture.Open(new FaultyFileSystem(), segmentSize: 8 << 20);
        using var hold = engine.LogHolds.Take(0);
        await WriteRandomAsync(engine, new Random(5), 3000);
        var from = engine.LastSeq - 20;
        var read = engine.ReadLog(new Quire.Storage.Log.LogCursor(from), maxBytes: 4096);
        Assert.NotEmpty(read);
        Assert.True(read[0].FirstSeq <= from && read[0].LastSeq >= from, $"the first record read holds seqs {read[0].FirstSeq}-{read[0].LastSeq}, not {from}");
    }

    [Fact]
    public async Task The_log_bytes_after_a_seq_shrink_as_the_seq_moves_to_the_end_and_are_none_there()
    {
        using var engine = EngineFixture.Open(new FaultyFileSystem(), segmentSize: 64 * 1024);
        using var hold = engine.LogHolds.Take(0);
        await WriteRandomAsync(engine, new Random(4), 1500);
        var all = engine.LogBytesFrom(0);
        Assert.InRange(all, engine.LogBytesWritten / 4, engine.LogBytesWritten);   // that count has the spare segments written ahead too
        Assert.Equal(0, engine.LogBytesFrom(engine.LastSeq + 1));
        var half = engine.LogBytesFrom(engine.LastSeq / 2);
        Assert.InRange(half, all / 4, all * 3 / 4);
        Assert.True(engine.LogBytesFrom(engine.LastSeq - 10) < half);
    }
}
