using Quire.Storage.Engine;
using Quire.Storage.Format;
using Quire.TestSupport;
using static Quire.Storage.Tests.Keys;

namespace Quire.Storage.Tests.Engine;

public class FaultTests
{

    [Fact]
    public async Task A_failed_fsync_turns_the_engine_read_only_and_acknowledges_nothing_unsynced()
    {
        var fs = new FaultyFileSystem();
        using var engine = EngineFixture.Open(fs);
        await engine.CommitAsync(new WriteBatch().Put(B("before"), B("1")));
        fs.AddRule(new FaultRule { Op = FaultOp.Sync, PathContains = "/wal/" });

        var failed = await Assert.ThrowsAsync<StorageFailedException>(async () => await engine.CommitAsync(new WriteBatch().Put(B("lost"), B("2"))));
        Assert.Contains("EIO", failed.Message);
        Assert.False(failed.DiskFull);
        Assert.Null(engine.Get(B("lost")));
        Assert.Equal("1", S(engine.Get(B("before"))));

        // A later fsync would "succeed", but proves nothing: the engine stays read-only.
        fs.ClearRules();
        var later = await Assert.ThrowsAsync<StorageFailedException>(async () => await engine.CommitAsync(new WriteBatch().Put(B("x"), B("3"))));
        Assert.Same(failed, later);
        Assert.Same(failed, engine.Failure);
    }

    [Fact]
    public async Task No_space_on_write_fails_the_group_and_every_queued_commit()
    {
        var fs = new FaultyFileSystem();
        var told = new List<StorageFailedException>();
        using var engine = StorageEngine.Open(EngineFixture.Directory, EngineFixture.Options(fs) with { OnFailed = failure => { lock (told) { told.Add(failure); } } });
        fs.AddRule(new FaultRule { Op = FaultOp.Write, PathContains = "/wal/", Error = Faults.NoSpace });

        var commits = Enumerable.Range(0, 50).Select(i => engine.CommitAsync(new WriteBatch().Put(B($"k{i}"), B("v"))).AsTask()).ToArray();
        foreach (var commit in commits)
        {
            var error = await Assert.ThrowsAsync<StorageFailedException>(() => commit);
            Assert.Contains("ENOSPC", error.Message);
            Assert.True(error.DiskFull);   // a full disk, which freeing space and a restart cure
        }

        Assert.Empty(engine.Scan());
        for (var wait = 0; wait < 100 && told.Count == 0; wait++)
        {
            await Task.Delay(10);
        }

        Assert.Same(engine.Failure, Assert.Single(told));   // the host is told once
    }

    [Fact]
    public async Task A_torn_write_at_power_loss_is_cut_and_acknowledged_commits_survive()
    {
        var fs = new FaultyFileSystem();
        using (var engine = EngineFixture.Open(fs))
        {
            for (var i = 0; i < 20; i++)
            {
                await engine.CommitAsync(new WriteBatch().Put(B($"k{i}"), new byte[700]));
            }

            // The next write tears after 100 bytes and the machine dies. (Not zeros: the
            // pre-written segment is zeros, and a zero payload would complete the record.)
            fs.AddRule(new FaultRule { Op = FaultOp.Write, PathContains = "/wal/", KeepBytes = 100, CrashMachine = true });
            var value = Enumerable.Repeat((byte)0xAB, 700).ToArray();
            await Assert.ThrowsAsync<StorageFailedException>(async () => await engine.CommitAsync(new WriteBatch().Put(B("torn"), value)));
        }

        fs.UnsyncedSectorSurvival = 1.0; // the torn bytes reach the disk
        fs.PowerLoss();
        using var reopened = EngineFixture.Open(fs);

        Assert.Equal(20, reopened.Scan().Count);
        Assert.Null(reopened.Get(B("torn")));
        Assert.NotNull(reopened.Recovery.TornTail);
        Assert.Equal(19, reopened.LastSeq);

        // The cut is permanent: commits continue from the cut and survive another reopen.
        await reopened.CommitAsync(new WriteBatch().Put(B("after"), B("1")));
        reopened.Dispose();
        using var again = EngineFixture.Open(fs);
        Assert.Null(again.Recovery.TornTail);
        Assert.Equal("1", S(again.Get(B("after"))));
        Assert.Equal(20, again.LastSeq);
    }

    [Fact]
    public async Task A_flipped_bit_in_a_synced_record_refuses_the_open_and_says_where()
    {
        var fs = new FaultyFileSystem();
        using (var engine = EngineFixture.Open(fs))
        {
            for (var i = 0; i < 10; i++)
            {
                await engine.CommitAsync(new WriteBatch().Put(B($"k{i}"), B("value")));
            }
        }

        var segment = "/db/wal/" + "0".PadLeft(20, '0') + ".log";
        fs.FlipBit(segment, FileHeader.Size + 100, 3);

        var error = Assert.Throws<CorruptDataException>(() => EngineFixture.Open(fs));
        Assert.Equal(segment, error.Path);
        Assert.True(error.Offset >= FileHeader.Size);
        Assert.Contains("damaged", error.Message);
    }

    [Fact]
    public async Task A_missing_segment_is_a_seq_gap_that_refuses_the_open()
    {
        var fs = new FaultyFileSystem();
        using (var engine = EngineFixture.Open(fs, segmentSize: 64 * 1024))
        {
            for (var i = 0; i < 400; i++)
            {
                await engine.CommitAsync(new WriteBatch().Put(B($"k{i}"), new byte[500]));
            }

            // The closing checkpoint finds the disk full, so every segment is still needed.
            fs.AddRule(new FaultRule { Op = FaultOp.Write, PathContains = "quire.db", Error = Faults.NoSpace, Times = -1 });
        }

        fs.ClearRules();
        var segments = fs.ListFiles("/db/wal").Where(n => !n.StartsWith("spare", StringComparison.Ordinal)).Order().ToList();
        Assert.True(segments.Count >= 3);
        fs.Delete("/db/wal/" + segments[1]);

        var error = Assert.Throws<CorruptDataException>(() => EngineFixture.Open(fs));
        Assert.Contains("seq gap", error.Message);
    }

    [Fact]
    public async Task Short_reads_do_not_change_what_is_recovered()
    {
        var fs = new FaultyFileSystem();
        using (var engine = EngineFixture.Open(fs))
        {
            for (var i = 0; i < 100; i++)
            {
                await engine.CommitAsync(new WriteBatch().Put(B($"k{i}"), B($"v{i}")));
            }
        }

        fs.ShortReads = true;
        using var reopened = EngineFixture.Open(fs);
        Assert.Equal(100, reopened.Scan().Count);
        Assert.Equal("v42", S(reopened.Get(B("k42"))));
    }

    [Fact]
    public async Task Unsynced_directory_entries_vanish_at_power_loss_but_a_created_database_does_not()
    {
        var fs = new FaultyFileSystem();
        using (var engine = EngineFixture.Open(fs))
        {
            await engine.CommitAsync(new WriteBatch().Put(B("k"), B("v")));
        }

        fs.PowerLoss();
        using var reopened = EngineFixture.Open(fs);
        Assert.Equal("v", S(reopened.Get(B("k"))));
    }

    [Fact]
    public async Task Segments_roll_and_recycled_segments_never_resurrect_old_records()
    {
        var fs = new FaultyFileSystem();
        var options = EngineFixture.Options(fs, segmentSize: 64 * 1024);
        using (var engine = StorageEngine.Open("/db", options))
        {
            for (var i = 0; i < 400; i++)
            {
                await engine.CommitAsync(new WriteBatch().Put(B($"k{i}"), new byte[500]));
            }

            // The checkpoint covers every seq so far: the segments below recycle.
            await engine.CheckpointAsync();
            Assert.Throws<ArgumentOutOfRangeException>(() => engine.ReadLog(0).ToList());

            // Fill into recycled files; stale frames in them must never be read back.
            for (var i = 0; i < 400; i++)
            {
                await engine.CommitAsync(new WriteBatch().Put(B($"n{i}"), new byte[500]));
            }
        }

        fs.PowerLoss();
        using (var engine = StorageEngine.Open("/db", options))
        {
            Assert.Null(engine.Recovery.TornTail);
            Assert.True(engine.Recovery.StartSeq > 0);
            var records = engine.ReadLog(engine.Recovery.StartSeq).ToList();
            Assert.Equal(799, records[^1].LastSeq);
            Assert.Equal(799, engine.LastSeq);
            Assert.Equal(800, engine.Scan().Count);
        }
    }
}
