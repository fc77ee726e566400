using System.Buffers.Binary;
using Quire.Storage.Engine;
using Quire.TestSupport;
using static Quire.Storage.Tests.Keys;

namespace Quire.Storage.Tests.Engine;

/// <summary>Snapshots: a stable view however much lands after it, and a root that never shows a later group's writes.</summary>
public class SnapshotTests
{
    [Fact]
    public async Task A_cursor_reads_live_entries_in_place_both_ways_and_finds_single_keys()
    {
        using var engine = EngineFixture.Open(new FaultyFileSystem());
        var large = new byte[20_000];
        new Random(3).NextBytes(large);
        using (var batch = new WriteBatch())
        {
            for (var i = 0; i < 1000; i++)
            {
                batch.Put(Key(i), i == 500 ? large : B($"v{i}"));
            }

            await engine.CommitAsync(batch);
        }

        using (var deletes = new WriteBatch())
        {
            for (var i = 0; i < 1000; i += 3)
            {
                deletes.Delete(Key(i));
            }

            await engine.CommitAsync(deletes);
        }

        using var snapshot = engine.OpenSnapshot();
        var live = Enumerable.Range(100, 800).Where(i => i % 3 != 0).ToList();
        foreach (var reverse in new[] { false, true })
        {
            using var cursor = snapshot.Cursor(Key(100), Key(900), reverse);
            var seen = new List<int>();
            while (cursor.MoveNext())
            {
                var i = int.Parse(S(cursor.Key.ToArray())[4..], System.Globalization.CultureInfo.InvariantCulture);
                Assert.Equal(i == 500 ? large : B($"v{i}"), cursor.Value.ToArray());
                Assert.True(snapshot.TryGetVersioned(cursor.Key, out var stored));
                Assert.Equal(stored.Version, cursor.Version);
                seen.Add(i);
            }

            Assert.Equal(reverse ? live.AsEnumerable().Reverse() : live, seen);
            Assert.False(cursor.MoveNext());
        }

        using var finder = snapshot.Cursor();
        Assert.True(finder.TryFind(Key(500)));
        Assert.Equal(large, finder.Value.ToArray());
        Assert.Equal(Key(500), finder.Key.ToArray());
        Assert.False(finder.TryFind(Key(498)));   // deleted
        Assert.False(finder.TryFind(B("absent")));
        Assert.Throws<InvalidOperationException>(() => finder.Value.Length);
        Assert.Throws<InvalidOperationException>(() => finder.MoveNext());   // finding, not walking
        finder.Dispose();
        Assert.Throws<ObjectDisposedException>(() => finder.TryFind(Key(1)));
    }

    [Fact]
    public async Task Pages_a_closed_snapshot_kept_are_released_without_further_commits()
    {
        // The cap on pinned pages must not fall on a later snapshot for pages nobody holds any more.
        using var directory = new TempDirectory();
        using var engine = StorageEngine.Open(directory.Path, new StorageOptions { Durability = Durability.Async, MaxSnapshotPinnedBytes = 64 * 1024 });
        var value = new byte[200];
        using (var load = new WriteBatch())
        {
            for (var i = 0; i < 5000; i++)
            {
                load.Put(Key(i), value);
            }

            await engine.CommitAsync(load);
        }

        using (engine.OpenSnapshot())
        {
            using var overwrite = new WriteBatch();
            for (var i = 0; i < 5000; i++)
            {
                overwrite.Put(Key(i), value);   // replaces every page the snapshot keeps
            }

            await engine.CommitAsync(overwrite);
        }

        await Task.Delay(200);   // no commits from here on
        using var later = engine.OpenSnapshot();
        var until = DateTime.UtcNow.AddMilliseconds(400);
        while (DateTime.UtcNow < until)
        {
            Assert.Equal(5000, later.Scan().Count());   // throws SnapshotExpiredException if the cap fell on it
            await Task.Delay(20);
        }
    }

    [Fact]
    public async Task A_long_lived_snapshot_sees_a_stable_view_while_100000_commits_land()
    {
        using var directory = new TempDirectory();
        using var engine = StorageEngine.Open(directory.Path, new StorageOptions { Durability = Durability.Async });
        var random = new Random(7);
        var preload = new WriteBatch();
        for (var i = 0; i < 2000; i++)
        {
            preload.Put(Key(i), Value(i, 0));
        }

        await engine.CommitAsync(preload);
        using var snapshot = engine.OpenSnapshot();
        var before = snapshot.Scan().Select(e => (S(e.Key), S(e.Value), e.Version)).ToList();
        Assert.Equal(2000, before.Count);

        // Overwrites, deletes and new keys, from concurrent writers, checked against the snapshot as they land.
        var pending = new List<Task>();
        for (var commit = 1; commit <= 100_000; commit++)
        {
            var key = random.Next(4000);
            var batch = random.Next(10) == 0 ? new WriteBatch().Delete(Key(key)) : new WriteBatch().Put(Key(key), Value(key, commit));
            pending.Add(engine.CommitAsync(batch).AsTask());
            if (pending.Count == 64)
            {
                await Task.WhenAll(pending);
                pending.Clear();
                var probe = random.Next(4000);
                Assert.Equal(probe < 2000 ? S(Value(probe, 0)) : "<null>", S(snapshot.Get(Key(probe))));
            }
        }

        await Task.WhenAll(pending);
        Assert.True(engine.LastSeq >= 100_000);
        Assert.Equal(before, snapshot.Scan().Select(e => (S(e.Key), S(e.Value), e.Version)).ToList());
        Assert.Equal(before.AsEnumerable().Reverse(), snapshot.Scan(reverse: true).Select(e => (S(e.Key), S(e.Value), e.Version)).ToList());
        Assert.Equal(1999, snapshot.Seq);
    }

    [Theory]
    [InlineData(Durability.Sync)]
    [InlineData(Durability.Async)]
    public async Task A_snapshot_never_shows_a_write_after_its_seq_nor_misses_one_before(Durability durability)
    {
        using var directory = new TempDirectory();
        using var engine = StorageEngine.Open(directory.Path, new StorageOptions { Durability = durability });
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(3));
        var acknowledged = new long[8];
        var writers = Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            for (var n = 1; !stop.IsCancellationRequested; n++)
            {
                // Each writer's pair of keys always changes together.
                var result = await engine.CommitAsync(new WriteBatch().Put(B($"a/{w}"), Counter(n)).Put(B($"b/{w}"), Counter(n)));
                Volatile.Write(ref acknowledged[w], result.LastSeq);
            }
        })).ToArray();

        var snapshots = 0;
        while (!stop.IsCancellationRequested)
        {
            var seqsBefore = Enumerable.Range(0, 8).Select(w => Volatile.Read(ref acknowledged[w])).ToArray();
            using var snapshot = engine.OpenSnapshot();
            var entries = snapshot.Scan().ToList();
            Assert.All(entries, e => Assert.True(e.Version <= snapshot.Seq, $"version {e.Version} above the snapshot's seq {snapshot.Seq}"));
            for (var w = 0; w < 8; w++)
            {
                var aFound = snapshot.TryGetVersioned(B($"a/{w}"), out var a);
                var bFound = snapshot.TryGetVersioned(B($"b/{w}"), out var b);
                Assert.Equal(aFound, bFound);
                if (aFound)
                {
                    Assert.Equal(a.Version + 1, b.Version);
                    Assert.Equal(a.Value, b.Value);
                }

                if (seqsBefore[w] > 0)
                {
                    Assert.True(bFound && b.Version >= seqsBefore[w], $"writer {w}: acknowledged seq {seqsBefore[w]} missing from a later snapshot");
                }
            }

            snapshots++;
        }

        await Task.WhenAll(writers);
        Assert.True(snapshots > 10);
    }

    private static byte[] Key(int i) => B($"key/{i:D5}");

    private static byte[] Value(int key, int commit) => B($"{key}@{commit}");

    private static byte[] Counter(int n)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteInt64BigEndian(bytes, n);
        return bytes;
    }
}
