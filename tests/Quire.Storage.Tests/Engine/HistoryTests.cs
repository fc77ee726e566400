using Quire.Storage.Engine;
using Quire.TestSupport;
using static Quire.Storage.Tests.Keys;

namespace Quire.Storage.Tests.Engine;

/// <summary>
/// Past versions (<see cref="StorageOptions.KeepHistory"/>): every seq from the floor on
/// reads exactly as it was, against a model that keeps every version, across groups,
/// large sorted and parallel applies, values in overflow pages, checkpoints, crashes and
/// reopens; the floor; reclaiming what the floor no longer needs.
/// </summary>
public class HistoryTests
{
    private const int KeySpace = 1500;

    private static StorageEngine Open(FaultyFileSystem fs, bool keepHistory = true) =>
        StorageEngine.Open(EngineFixture.Directory, EngineFixture.Options(fs, segmentSize: 1024 * 1024) with { KeepHistory = keepHistory });

    [Fact]
    public async Task Every_seq_from_the_floor_reads_as_it_was_across_checkpoints_crashes_and_reopens()
    {
        var fs = new FaultyFileSystem();
        var random = new Random(11);
        var model = new VersionModel();
        var engine = Open(fs);
        try
        {
            Assert.Equal(-1, engine.HistoryFloor);
            for (var round = 0; round < 10; round++)
            {
                // Concurrent commits share groups; a few large ones are applied sorted, on two threads.
                var commits = Enumerable.Range(0, 12).Select(_ => RandomBatch(random, random.Next(8) == 0 ? 700 : random.Next(1, 30))).ToList();
                var results = await Task.WhenAll(commits.Select(c => engine.CommitAsync(c.Batch).AsTask()));
                foreach (var (commit, result) in commits.Zip(results).OrderBy(x => x.Second.FirstSeq))
                {
                    model.Apply(commit.Ops, result.FirstSeq);
                    commit.Batch.Dispose();
                }

                switch (random.Next(4))
                {
                    case 0:
                        await engine.CheckpointAsync();
                        break;
                    case 1:
                        engine.Dispose();
                        engine = Open(fs);
                        break;
                    case 2:
                        engine = Crash(engine, fs);
                        break;
                }

                Assert.Equal(model.LastSeq, engine.LastSeq);
                for (var check = 0; check < 6; check++)
                {
                    Verify(engine, model, random.NextInt64(-1, model.LastSeq + 1), random);
                }
            }
        }
        finally
        {
            engine.Dispose();
        }
    }

    [Fact]
    public async Task Reclaiming_moves_the_floor_and_keeps_exactly_the_past_versions_seqs_from_it_need()
    {
        var fs = new FaultyFileSystem();
        var random = new Random(5);
        var model = new VersionModel();
        using var engine = Open(fs);
        for (var i = 0; i < 60; i++)
        {
            var commit = RandomBatch(random, random.Next(1, 40));
            var result = await engine.CommitAsync(commit.Batch);
            model.Apply(commit.Ops, result.FirstSeq);
            commit.Batch.Dispose();
        }

        var horizon = model.LastSeq / 2;
        var keysBefore = engine.State.Published.Count;
        var erased = await engine.ReclaimHistoryAsync(horizon);
        Assert.Equal(horizon, engine.HistoryFloor);
        Assert.Equal(model.PastVersionsReplacedBy(horizon), erased);
        Assert.Equal(keysBefore - erased, engine.State.Published.Count);
        var floor = Assert.Throws<HistoryUnavailableException>(() => engine.OpenSnapshot(horizon - 1));
        Assert.Equal(horizon, floor.OldestKept);
        foreach (var seq in new[] { horizon, horizon + 1, (horizon + model.LastSeq) / 2, model.LastSeq })
        {
            Verify(engine, model, seq, random);
        }

        Assert.Equal(0, await engine.ReclaimHistoryAsync(horizon));   // nothing left to do
        await engine.CheckpointAsync();
    }

    [Fact]
    public async Task A_database_kept_without_history_gets_its_floor_at_its_last_seq_and_loses_it_when_history_stops()
    {
        var fs = new FaultyFileSystem();
        using (var engine = Open(fs, keepHistory: false))
        {
            await engine.CommitAsync(new WriteBatch().Put(B("a"), B("1")));
            await engine.CommitAsync(new WriteBatch().Put(B("a"), B("2")));
            Assert.Null(engine.HistoryFloor);
            Assert.Throws<HistoryUnavailableException>(() => engine.OpenSnapshot(0));
        }

        using (var engine = Open(fs))
        {
            Assert.Equal(1, engine.HistoryFloor);   // seq 2 wrote the floor itself
            Assert.Equal(2, engine.LastSeq);
            Assert.Equal(1, Assert.Throws<HistoryUnavailableException>(() => engine.OpenSnapshot(0)).OldestKept);
            await engine.CommitAsync(new WriteBatch().Put(B("a"), B("3")));
            using var asOf = engine.OpenSnapshot(1);
            Assert.Equal("2", S(asOf.Get(B("a"))));
            Assert.Equal("a", S(Assert.Single(engine.Scan()).Key));   // the engine's own keys stay out of scans
            Assert.Throws<ArgumentException>(() => engine.CommitAsync(new WriteBatch().Put([0xFF, 1], B("x"))).AsTask().GetAwaiter().GetResult());
            Assert.Throws<ArgumentOutOfRangeException>(() => engine.OpenSnapshot(engine.LastSeq + 1));
        }

        using (var engine = Open(fs, keepHistory: false))
        {
            Assert.Null(engine.HistoryFloor);
            await engine.CommitAsync(new WriteBatch().Put(B("a"), B("4")));
        }

        using (var engine = Open(fs))
        {
            // The writes made without history are not kept: the floor starts again.
            Assert.Equal(engine.LastSeq - 1, engine.HistoryFloor);
            Assert.Throws<HistoryUnavailableException>(() => engine.OpenSnapshot(engine.LastSeq - 2));
        }
    }

    [Fact]
    public async Task Reclaimed_history_gives_its_pages_back_so_endless_overwrites_stay_in_bounded_space()
    {
        var fs = new FaultyFileSystem();
        using var engine = Open(fs);
        var value = new byte[200];
        const int Keys = 6000;
        long afterWarmUp = 0;
        for (var round = 0; round < 12; round++)
        {
            for (var start = 0; start < Keys; start += 500)
            {
                var batch = new WriteBatch();
                for (var i = start; i < start + 500; i++)
                {
                    value[0] = (byte)round;
                    batch.Put(B($"key:{i:D6}"), value);
                }

                await engine.CommitAsync(batch);
                batch.Dispose();
            }

            var lastRound = engine.LastSeq;
            await engine.ReclaimHistoryAsync(lastRound - 1);   // keep the last write's past versions only
            await engine.CheckpointAsync();
            await engine.CheckpointAsync();   // pages freed by the first are reusable after the second
            using (var before = engine.OpenSnapshot(lastRound - 1))
            {
                // As of the seq before the last batch: its keys hold the round before, the rest this round.
                Assert.Equal(round == 0 ? null : (byte?)(round - 1), before.Get(B($"key:{Keys - 1:D6}"))?[0]);
                Assert.Equal((byte)round, before.Get(B("key:000000"))![0]);
            }

            afterWarmUp = round == 3 ? engine.DataFilePages : afterWarmUp;
            if (round > 3)
            {
                Assert.True(engine.DataFilePages <= afterWarmUp * 3 / 2, $"round {round}: {engine.DataFilePages} pages, {afterWarmUp} after warm-up");
            }
        }

        Assert.Equal(Keys, engine.Scan().Count);
    }

    [Fact]
    public async Task Past_versions_in_the_earlier_layout_are_erased_and_the_history_starts_again()
    {
        var fs = new FaultyFileSystem();
        byte[] legacy = [0xFF, 0x01, .. B("a"), 0, 0, 0, 0, 0, 0, 0, 0xF8, 0, 0, 0, 0, 0, 0, 0, 1];   // key first, then the version
        long lastSeq;
        using (var engine = Open(fs, keepHistory: false))
        {
            // Written as a build that kept past versions key first (tag 0x01) would have left them.
            await engine.CommitAsync(new WriteBatch().Put(B("a"), B("1")));
            await engine.CommitAsync(new WriteBatch().Put(B("a"), B("2")).Put(legacy, B("1")));
            await engine.CheckpointAsync();
            lastSeq = engine.LastSeq;
        }

        using (var engine = Open(fs))
        {
            Assert.Equal(lastSeq, engine.HistoryFloor);   // then a commit for the floor, one for the erasure
            Assert.Equal("2", S(engine.OpenSnapshot(lastSeq).Get(B("a"))));
            await engine.CommitAsync(new WriteBatch().Put(B("a"), B("3")));
            Assert.Equal("2", S(engine.OpenSnapshot(engine.LastSeq - 1).Get(B("a"))));
        }

        using (var engine = Open(fs, keepHistory: false))
        {
            Assert.Null(engine.Get(legacy));
            Assert.Equal(["a"], engine.Scan().Where(e => e.Key[0] != 0xFF || e.Key[1] == 0x01).Select(e => S(e.Key)));
        }
    }

    [Fact]
    public async Task A_view_as_of_the_empty_start_is_empty_and_tombstones_read_as_they_were()
    {
        using var engine = Open(new FaultyFileSystem());
        var put = await engine.CommitAsync(new WriteBatch().Put(B("a"), B("1")));
        var delete = await engine.CommitAsync(new WriteBatch().Delete(B("a")));
        await engine.CommitAsync(new WriteBatch().Put(B("a"), B("2")));
        using (var start = engine.OpenSnapshot(-1))
        {
            Assert.False(start.TryGetVersioned(B("a"), out _));
            Assert.Empty(start.Scan());
        }

        using var deleted = engine.OpenSnapshot(delete.FirstSeq);
        Assert.True(deleted.TryGetVersioned(B("a"), out var tombstone));
        Assert.True(tombstone.IsDeleted);
        Assert.Equal(delete.FirstSeq, tombstone.Version);
        Assert.Empty(deleted.Scan());
        using var first = engine.OpenSnapshot(put.FirstSeq);
        Assert.Equal("1", S(first.Get(B("a"))));
        Assert.Throws<InvalidOperationException>(() => first.ChainHead);
    }

    private static StorageEngine Crash(StorageEngine engine, FaultyFileSystem fs)
    {
        fs.CrashAfterChanges = 0;   // the last checkpoint at dispose never lands: open replays the log
        try
        {
            engine.Dispose();
        }
        catch (IOException)
        {
            // The machine is down.
        }

        fs.PowerLoss();
        return Open(fs);
    }

    private static void Verify(StorageEngine engine, VersionModel model, long seq, Random random)
    {
        var expected = model.StateAt(seq);
        using var view = engine.OpenSnapshot(seq);
        Assert.Equal(seq, view.Seq);
        var forward = view.Scan().Select(e => (S(e.Key), e.Value, e.Version)).ToList();
        Assert.Equal(expected.Select(kv => (kv.Key, kv.Value.Value, kv.Value.Version)), forward);
        var backward = view.Scan(reverse: true).Select(e => S(e.Key)).ToList();
        Assert.Equal(expected.Keys.Reverse(), backward);

        using var finder = view.Cursor();
        for (var i = 0; i < 20; i++)
        {
            var key = KeyName(random.Next(KeySpace));
            var live = expected.TryGetValue(key, out var value);
            Assert.Equal(live, finder.TryFind(B(key)));
            Assert.Equal(live ? value.Value : null, view.Get(B(key)));
            if (live)
            {
                Assert.Equal(value.Value, finder.Value.ToArray());
                Assert.Equal(value.Version, finder.Version);
            }
        }
    }

    private static string KeyName(int i) => $"key{i:D5}";

    private static (WriteBatch Batch, List<List<(string Key, byte[]? Value)>> Ops) RandomBatch(Random random, int ops)
    {
        var batch = new WriteBatch();
        var written = new List<List<(string, byte[]?)>>();
        for (var o = 0; o < ops; o++)
        {
            var op = batch.BeginOp();
            var writes = new List<(string, byte[]?)>();
            for (var w = random.Next(1, 3); w > 0; w--)
            {
                // Most writes land on a few hundred keys, so versions pile up.
                var key = KeyName(random.Next(4) == 0 ? random.Next(KeySpace) : random.Next(200));
                if (random.Next(5) == 0)
                {
                    op.Delete(B(key));
                    writes.Add((key, null));
                }
                else
                {
                    var value = new byte[random.Next(30) == 0 ? 3000 : random.Next(1, 40)];
                    random.NextBytes(value);
                    op.Put(B(key), value);
                    writes.Add((key, value));
                }
            }

            op.End();
            written.Add(writes);
        }

        return (batch, written);
    }

    /// <summary>Every version of every key: (seq, value or null for a delete), in seq order.</summary>
    private sealed class VersionModel
    {
        private readonly Dictionary<string, List<(long Seq, byte[]? Value)>> _versions = [];

        public long LastSeq { get; private set; } = -1;

        public void Apply(List<List<(string Key, byte[]? Value)>> ops, long firstSeq)
        {
            for (var i = 0; i < ops.Count; i++)
            {
                var seq = firstSeq + i;
                foreach (var (key, value) in ops[i])
                {
                    var versions = _versions.TryGetValue(key, out var list) ? list : _versions[key] = [];
                    if (versions.Count > 0 && versions[^1].Seq == seq)
                    {
                        versions[^1] = (seq, value);   // one op wrote the key twice: the later write counts
                    }
                    else
                    {
                        versions.Add((seq, value));
                    }
                }

                LastSeq = seq;
            }
        }

        public SortedDictionary<string, (byte[] Value, long Version)> StateAt(long seq)
        {
            var state = new SortedDictionary<string, (byte[], long)>(StringComparer.Ordinal);
            foreach (var (key, versions) in _versions)
            {
                var at = versions.FindLastIndex(v => v.Seq <= seq);
                if (at >= 0 && versions[at].Value is { } value)
                {
                    state[key] = (value, versions[at].Seq);
                }
            }

            return state;
        }

        /// <summary>Past versions whose successor came at or before <paramref name="horizon"/>.</summary>
        public long PastVersionsReplacedBy(long horizon) =>
            _versions.Values.Sum(versions => Enumerable.Range(0, versions.Count - 1).Count(i => versions[i + 1].Seq <= horizon));
    }
}
