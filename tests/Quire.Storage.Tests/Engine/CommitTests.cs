using Quire.Storage.Engine;
using Quire.Storage.IO;
using Quire.TestSupport;
using static Quire.Storage.Tests.Keys;

namespace Quire.Storage.Tests.Engine;

public class CommitTests
{
    [Fact]
    public async Task A_batch_of_n_ops_takes_n_contiguous_seqs_and_keys_record_their_ops_seq()
    {
        using var engine = EngineFixture.Open(new FaultyFileSystem());
        using var batch = new WriteBatch();
        batch.Put(B("a"), B("1")).Put(B("b"), B("2"));
        batch.BeginOp().Put(B("c"), B("3")).Put(B("d"), B("4")).End();

        var first = await engine.CommitAsync(batch);
        var second = await engine.CommitAsync(new WriteBatch().Put(B("a"), B("5")));

        Assert.Equal(new CommitResult(0, 2), first);
        Assert.Equal(new CommitResult(3, 3), second);
        Assert.True(engine.TryGetVersioned(B("c"), out var c));
        Assert.True(engine.TryGetVersioned(B("d"), out var d));
        Assert.Equal(2, c.Version);
        Assert.Equal(2, d.Version);
        Assert.Equal("5", S(engine.Get(B("a"))));
        Assert.Equal(3, engine.LastSeq);
    }

    [Fact]
    public async Task Delete_leaves_a_tombstone_that_keeps_its_version()
    {
        using var engine = EngineFixture.Open(new FaultyFileSystem());
        await engine.CommitAsync(new WriteBatch().Put(B("k"), B("v")));
        await engine.CommitAsync(new WriteBatch().Delete(B("k")));

        Assert.Null(engine.Get(B("k")));
        Assert.True(engine.TryGetVersioned(B("k"), out var tombstone));
        Assert.True(tombstone.IsDeleted);
        Assert.Equal(1, tombstone.Version);
        Assert.Empty(engine.Scan());

        // "version is 1" holds against the tombstone; "absent" holds too.
        await engine.CommitAsync(new WriteBatch().Require(B("k"), 1).Put(B("k"), B("again")));
        Assert.Equal("again", S(engine.Get(B("k"))));
    }

    [Fact]
    public async Task Failed_preconditions_list_every_failure_apply_nothing_and_take_no_seq()
    {
        using var engine = EngineFixture.Open(new FaultyFileSystem());
        await engine.CommitAsync(new WriteBatch().Put(B("x"), B("1")));

        var batch = new WriteBatch()
            .Require(B("x"), 5).Put(B("x"), B("2"))
            .Put(B("y"), B("2"))
            .Require(B("never"), 3).Put(B("never"), B("2"))
            .Require(B("x"), WriteBatch.Absent).Put(B("z"), B("2"));
        var error = await Assert.ThrowsAsync<KeyPreconditionFailedException>(async () => await engine.CommitAsync(batch));

        Assert.Equal(
            [new(0, B("x"), 5, 0), new(2, B("never"), 3, null), new(3, B("x"), WriteBatch.Absent, 0)],
            error.Failures.Select(f => f with { Key = f.Key }).ToArray(),
            new FailureComparer());
        Assert.Null(engine.Get(B("y")));
        Assert.Equal(0, engine.LastSeq);
        Assert.Equal(new CommitResult(1, 1), await engine.CommitAsync(new WriteBatch().Require(B("x"), 0).Put(B("x"), B("3"))));
    }

    [Fact]
    public async Task Preconditions_see_earlier_commits_of_the_same_group()
    {
        using var engine = EngineFixture.Open(new FaultyFileSystem());

        // Fired together they land in one group: the second must see the first's write.
        var first = engine.CommitAsync(new WriteBatch().Require(B("k"), WriteBatch.Absent).Put(B("k"), B("1")));
        var second = engine.CommitAsync(new WriteBatch().Require(B("k"), WriteBatch.Absent).Put(B("k"), B("2")));
        var third = engine.CommitAsync(new WriteBatch().Require(B("k"), 0).Put(B("k"), B("3")));

        Assert.Equal(0, (await first).FirstSeq);
        var error = await Assert.ThrowsAsync<KeyPreconditionFailedException>(async () => await second);
        Assert.Equal(0, error.Failures.Single().Actual);
        Assert.Equal(1, (await third).FirstSeq);
        Assert.Equal("3", S(engine.Get(B("k"))));
    }

    [Fact]
    public async Task Reopening_replays_the_log()
    {
        var fs = new FaultyFileSystem();
        using (var engine = EngineFixture.Open(fs))
        {
            for (var i = 0; i < 500; i++)
            {
                await engine.CommitAsync(new WriteBatch().Put(B($"k{i % 50}"), B($"v{i}")));
            }

            await engine.CommitAsync(new WriteBatch().Delete(B("k7")));
        }

        using var reopened = EngineFixture.Open(fs);
        Assert.Equal(500, reopened.LastSeq);
        Assert.Equal("v499", S(reopened.Get(B("k49"))));
        Assert.Null(reopened.Get(B("k7")));
        Assert.Equal(49, reopened.Scan().Count);
        Assert.Null(reopened.Recovery.TornTail);
        Assert.Equal(501, reopened.Recovery.NextSeq);
    }

    [Theory]
    [InlineData(Durability.Sync)]
    [InlineData(Durability.Batch)]
    [InlineData(Durability.Async)]
    public async Task Every_durability_mode_publishes_and_survives_a_clean_close(Durability durability)
    {
        var fs = new FaultyFileSystem();
        using (var engine = EngineFixture.Open(fs, durability))
        {
            var commits = Enumerable.Range(0, 200).Select(i => engine.CommitAsync(new WriteBatch().Put(B($"k{i}"), B("v"))).AsTask()).ToArray();
            await Task.WhenAll(commits);
            Assert.Equal(199, engine.LastSeq);
        }

        fs.PowerLoss();
        using var reopened = EngineFixture.Open(fs);
        Assert.Equal(200, reopened.Scan().Count);
    }

    [Fact]
    public async Task Batch_mode_syncs_within_its_interval_without_further_commits()
    {
        var fs = new FaultyFileSystem();
        using var engine = StorageEngine.Open("/db", EngineFixture.Options(fs, Durability.Batch) with { BatchSyncInterval = TimeSpan.FromMilliseconds(5) });
        await engine.CommitAsync(new WriteBatch().Put(B("k"), B("v")));

        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (engine.Stats.Syncs == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(5);
        }

        Assert.True(engine.Stats.Syncs > 0);
    }

    [Fact]
    public async Task A_per_commit_override_weakens_only_that_commit()
    {
        var fs = new FaultyFileSystem();
        using var engine = EngineFixture.Open(fs, Durability.Sync);
        var result = await engine.CommitAsync(new WriteBatch().Put(B("k"), B("v")), Durability.Async);
        Assert.Equal(0, result.FirstSeq);
        await engine.CommitAsync(new WriteBatch().Put(B("k2"), B("v")));
        Assert.True(engine.Stats.Syncs >= 1);
    }

    [Fact]
    public async Task A_lone_small_sync_commit_is_led_by_its_caller_and_durable_when_it_returns()
    {
        var fs = new FaultyFileSystem();
        using (var engine = EngineFixture.Open(fs))
        {
            var pending = engine.CommitAsync(new WriteBatch().Put(B("led"), B("1")));

            // Nothing queued or in flight: the caller's own thread wrote, synced and published it.
            Assert.True(pending.IsCompletedSuccessfully);
            Assert.Equal(new CommitResult(0, 0), await pending);
            Assert.Equal("1", S(engine.Get(B("led"))));

            // The machine dies in the next commit's write: only what was synced survives.
            fs.AddRule(new FaultRule { Op = FaultOp.Write, PathContains = "/wal/", CrashMachine = true });
            await Assert.ThrowsAsync<StorageFailedException>(async () => await engine.CommitAsync(new WriteBatch().Put(B("lost"), B("2"))));
        }

        fs.PowerLoss();
        using var reopened = EngineFixture.Open(fs);
        Assert.Equal("1", S(reopened.Get(B("led"))));
        Assert.Null(reopened.Get(B("lost")));
    }

    [Fact]
    public async Task After_a_group_of_several_commits_the_next_lone_commit_goes_through_the_writer()
    {
        var fs = new FaultyFileSystem { SyncDelay = TimeSpan.FromMilliseconds(100) };
        using var engine = StorageEngine.Open("/db", EngineFixture.Options(fs) with { BatchSyncInterval = TimeSpan.FromTicks(1) });

        // Batch-durability commits go to the writer, which syncs after each group here: two
        // queued while it syncs the first make a group of two.
        var first = engine.CommitAsync(new WriteBatch().Put(B("a"), B("1")), Durability.Batch).AsTask();
        await Task.Delay(30);
        await Task.WhenAll(
            first,
            engine.CommitAsync(new WriteBatch().Put(B("b"), B("1")), Durability.Batch).AsTask(),
            engine.CommitAsync(new WriteBatch().Put(B("c"), B("1")), Durability.Batch).AsTask());
        await Task.Delay(50); // the writer lets go of the log

        // Several writers were seen: the next sync commit is left to the writer (still in its fsync here).
        var next = engine.CommitAsync(new WriteBatch().Put(B("d"), B("1")));
        Assert.False(next.IsCompleted);
        await next;
        await Task.Delay(50);

        // That group was a lone commit: the one after it is led by its caller.
        fs.SyncDelay = TimeSpan.Zero;
        var led = engine.CommitAsync(new WriteBatch().Put(B("e"), B("1")));
        Assert.True(led.IsCompletedSuccessfully);
        Assert.Equal(new CommitResult(4, 4), await led);
    }

    [Fact]
    public async Task Led_commits_racing_queued_groups_and_timed_syncs_take_contiguous_seqs_and_all_survive()
    {
        var fs = new FaultyFileSystem();
        var results = new System.Collections.Concurrent.ConcurrentBag<(string Key, CommitResult Result)>();
        using (var engine = StorageEngine.Open("/db", EngineFixture.Options(fs) with { BatchSyncInterval = TimeSpan.FromMilliseconds(1) }))
        {
            // Small sync commits may be led by their callers; large ones and batch-durability
            // ones always go through the writer, whose timed syncs run between them.
            await Task.WhenAll(Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
            {
                for (var i = 0; i < 150; i++)
                {
                    var key = $"w{w}-{i}";
                    var kind = (w + i) % 3;
                    using var batch = new WriteBatch();
                    batch.Put(B(key), B("v"));
                    for (var j = 0; kind == 1 && j < 20; j++)
                    {
                        batch.Put(B($"{key}-{j}"), B("x"));
                    }

                    results.Add((key, await engine.CommitAsync(batch, kind == 2 ? Durability.Batch : Durability.Sync)));
                }
            })));

            var ranges = results.Select(r => r.Result).OrderBy(r => r.FirstSeq).ToList();
            Assert.Equal(0, ranges[0].FirstSeq);
            for (var i = 1; i < ranges.Count; i++)
            {
                Assert.Equal(ranges[i - 1].LastSeq + 1, ranges[i].FirstSeq);
            }

            Assert.Equal(engine.LastSeq, ranges[^1].LastSeq);
            foreach (var (key, result) in results)
            {
                Assert.True(engine.TryGetVersioned(B(key), out var stored));
                Assert.Equal(result.FirstSeq, stored.Version);
            }
        }

        using var reopened = EngineFixture.Open(fs);
        Assert.Equal(8 * 150, results.Count(r => reopened.Get(B(r.Key)) is not null));
        Assert.Equal(results.Max(r => r.Result.LastSeq), reopened.LastSeq);
    }

    [Fact]
    public async Task A_full_queue_makes_commits_wait_and_all_complete()
    {
        var fs = new FaultyFileSystem();
        using var engine = StorageEngine.Open("/db", EngineFixture.Options(fs) with { MaxQueuedCommits = 2, MaxGroupBytes = 64 });

        // Batch durability: such a commit is never led by its caller, so every one queues.
        var commits = Enumerable.Range(0, 300).Select(i => engine.CommitAsync(new WriteBatch().Put(B($"k{i}"), B("v")), Durability.Batch).AsTask()).ToArray();
        var results = await Task.WhenAll(commits);

        Assert.Equal(Enumerable.Range(0, 300).Select(i => (long)i), results.Select(r => r.FirstSeq).Order());
        Assert.True(engine.Stats.QueueFullWaits > 0);
    }

    [Fact]
    public async Task Closing_the_engine_finishes_queued_commits_and_fails_those_waiting_for_room()
    {
        var fs = new FaultyFileSystem { SyncDelay = TimeSpan.FromMilliseconds(50) };
        var engine = StorageEngine.Open("/db", EngineFixture.Options(fs) with { MaxQueuedCommits = 1, MaxGroupBytes = 16, BatchSyncInterval = TimeSpan.FromTicks(1) });

        // Batch durability (synced after every group here): never led by the caller, so they queue.
        var commits = Enumerable.Range(0, 6).Select(i => engine.CommitAsync(new WriteBatch().Put(B($"k{i}"), B("v")), Durability.Batch).AsTask()).ToArray();
        await Task.Delay(20);
        engine.Dispose();

        var outcomes = await Task.WhenAll(commits.Select(async c =>
        {
            try
            {
                await c.WaitAsync(TimeSpan.FromSeconds(10));
                return "ok";
            }
            catch (ObjectDisposedException)
            {
                return "closed";
            }
        }));

        Assert.Contains("ok", outcomes);
        Assert.Contains("closed", outcomes);
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await engine.CommitAsync(new WriteBatch().Put(B("late"), B("v"))));
        using var reopened = EngineFixture.Open(fs);
        Assert.Equal(outcomes.Count(o => o == "ok"), reopened.Scan().Count);
    }

    [Fact]
    public async Task Bad_input_gets_a_clear_error_and_changes_nothing()
    {
        using var engine = EngineFixture.Open(new FaultyFileSystem());
        await Assert.ThrowsAsync<ArgumentException>(async () => await engine.CommitAsync(new WriteBatch()));
        Assert.Throws<ArgumentException>(() => new WriteBatch().Put([], B("v")));
        Assert.Throws<BatchTooLargeException>(() => new WriteBatch().Put(new byte[WriteBatch.MaxKeyLength + 1], B("v")));
        Assert.Throws<InvalidOperationException>(() => new WriteBatch().BeginOp().End());
        var open = new WriteBatch();
        open.BeginOp().Put(B("k"), B("v"));
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await engine.CommitAsync(open));
        var huge = new WriteBatch().Put(B("k"), new byte[20 * 1024 * 1024]);
        await Assert.ThrowsAsync<BatchTooLargeException>(async () => await engine.CommitAsync(huge));

        Assert.Equal(-1, engine.LastSeq);
        Assert.Null(engine.Failure);
    }

    [Fact]
    public void A_second_open_of_the_same_database_is_refused()
    {
        var fs = new FaultyFileSystem();
        using var engine = EngineFixture.Open(fs);
        Assert.Throws<DatabaseLockedException>(() => EngineFixture.Open(fs));
    }

    [Fact]
    public void A_second_open_on_the_real_file_system_is_refused()
    {
        using var dir = new TempDirectory();
        using var engine = StorageEngine.Open(dir.Path);
        Assert.Throws<DatabaseLockedException>(() => StorageEngine.Open(dir.Path));
    }

    [Fact]
    public async Task The_log_can_be_read_from_any_seq()
    {
        var fs = new FaultyFileSystem();
        using var engine = EngineFixture.Open(fs, segmentSize: 64 * 1024);
        for (var i = 0; i < 300; i++)
        {
            using var batch = new WriteBatch();
            batch.Put(B($"a{i}"), new byte[300]).Put(B($"b{i}"), B("v"));
            await engine.CommitAsync(batch);
        }

        foreach (var from in new long[] { 0, 1, 2, 301, 599 })
        {
            var records = engine.ReadLog(from).ToList();
            Assert.True(records[0].FirstSeq <= from && records[0].LastSeq >= from);
            Assert.Equal(599, records[^1].LastSeq);
            for (var i = 1; i < records.Count; i++)
            {
                Assert.Equal(records[i - 1].LastSeq + 1, records[i].FirstSeq);
            }
        }
    }

    private sealed class FailureComparer : IEqualityComparer<KeyPreconditionFailure>
    {
        public bool Equals(KeyPreconditionFailure? x, KeyPreconditionFailure? y) =>
            x!.OpIndex == y!.OpIndex && x.Key.AsSpan().SequenceEqual(y.Key) && x.Expected == y.Expected && x.Actual == y.Actual;

        public int GetHashCode(KeyPreconditionFailure obj) => obj.OpIndex;
    }
}
