using System.Text.Json;
using Quire.Databases;
using Quire.Documents;
using Quire.Replication.Archive;
using Quire.TestSupport;

namespace Quire.Server.Tests.ObjectStore;

/// <summary>
/// <see cref="DatabaseArchiver"/> and <see cref="ArchiveRestore"/> against a real S3 server:
/// a database archived while it is written restores equal to itself at its last archived seq
/// and at any seq before it, and two archivers on one prefix never both write the manifest.
/// </summary>
[Collection("rgw")]
public class ArchiveTests(RadosGateway gateway)
{
    private static readonly ArchiverOptions Interval = new() { Interval = TimeSpan.FromMilliseconds(100) };

    [Fact]
    public async Task A_database_archived_while_written_restores_equal_at_its_end_and_at_any_seq_before()
    {
        using var store = await gateway.NewBucketAsync();
        using var data = new TempDirectory("quire-archived");
        using var catalog = DatabaseCatalog.Open(data.Path);
        var db = catalog.Create("shop");
        await WriteAsync(db, 0, 20);                              // before the archive: in its base copy
        var log = new List<string>();
        long middle;
        await using (var archiver = DatabaseArchiver.Start(db, store, "prod/shop", Interval, log.Add))
        {
            await WriteAsync(db, 20, 40);
            await archiver.FlushAsync();
            middle = db.Head.Seq;
            await db.DeleteAsync("items", "i00005");
            await db.LinkAsync("items:i00001", "next", "items:i00002");
            await WriteAsync(db, 40, 60);
            await archiver.FlushAsync();
            Assert.Null(archiver.Stopped);
            Assert.Equal(db.Head.Seq, archiver.ArchivedSeq);
        }

        Assert.Contains(log, line => line.Contains("from seq", StringComparison.Ordinal));
        Assert.Equal(["shop"], await ArchiveRestore.DatabasesAsync(store, "prod"));

        using var restored = new TempDirectory("quire-restored");
        var end = await ArchiveRestore.RestoreAsync(store, "prod/shop", restored.Path, "shop", new DatabaseOptions());
        Assert.Equal(db.Head, (end.Seq, end.Head));
        using (var again = DatabaseCatalog.Open(restored.Path))
        {
            AssertSame(db, again.Get("shop"), asOf: null);
            Assert.Equal(["items:i00002"], again.Get("shop").Neighbors("items:i00001", "next"));
        }

        using var earlier = new TempDirectory("quire-restored");
        var point = await ArchiveRestore.RestoreAsync(store, "prod/shop", earlier.Path, "shop", new DatabaseOptions(), seq: middle);
        Assert.Equal(middle, point.Seq);
        Assert.Equal(db.ChainHeadAt(middle), point.Head);
        using var atMiddle = DatabaseCatalog.Open(earlier.Path);
        AssertSame(db, atMiddle.Get("shop"), asOf: middle);
        Assert.NotNull(atMiddle.Get("shop").Get("items", "i00005"));   // deleted only after that seq
    }

    [Fact]
    public async Task Of_two_archivers_on_one_prefix_one_stops_and_the_archive_stays_whole()
    {
        using var store = await gateway.NewBucketAsync();
        using var data = new TempDirectory("quire-archived");
        using var catalog = DatabaseCatalog.Open(data.Path);
        var db = catalog.Create("shop");
        var other = catalog.Create("other");
        await WriteAsync(db, 0, 10);
        await WriteAsync(other, 0, 5);

        var logs = new List<string>();
        await using (var first = DatabaseArchiver.Start(db, store, "p/shop", Interval, logs.Add))
        await using (var second = DatabaseArchiver.Start(db, store, "p/shop", Interval, logs.Add))
        {
            await WriteAsync(db, 10, 30);
            await Until(() => first.Stopped is not null || second.Stopped is not null);
            var running = new[] { first, second }.Single(a => a.Stopped is null);
            var stopped = new[] { first, second }.Single(a => a.Stopped is not null);
            Assert.Contains("never overwrites", stopped.Stopped, StringComparison.Ordinal);
            await running.FlushAsync();

            // Another database pointed at the same prefix is refused: the archive is of one database.
            await using var foreign = DatabaseArchiver.Start(other, store, "p/shop", Interval, logs.Add);
            await Until(() => foreign.Stopped is not null);
            Assert.Contains("another database", foreign.Stopped, StringComparison.Ordinal);
            await WriteAsync(db, 30, 35);
            await running.FlushAsync();
            Assert.Null(running.Stopped);
        }

        using var restored = new TempDirectory("quire-restored");
        var end = await ArchiveRestore.RestoreAsync(store, "p/shop", restored.Path, "shop", new DatabaseOptions());
        Assert.Equal(db.Head, (end.Seq, end.Head));
        using var again = DatabaseCatalog.Open(restored.Path);
        AssertSame(db, again.Get("shop"), asOf: null);
    }

    [Fact]
    public async Task An_encrypted_databases_archive_is_sealed_and_restores_only_with_its_master_key()
    {
        using var store = await gateway.NewBucketAsync();
        using var data = new TempDirectory("quire-archived");
        var key = Storage.Crypto.MasterKey.FromBytes(new byte[32]);
        var options = new DatabaseOptions { Storage = new() { MasterKey = key } };
        using var catalog = DatabaseCatalog.Open(data.Path, options);
        var db = catalog.Create("vault");
        await WriteAsync(db, 0, 5);
        await using (var archiver = DatabaseArchiver.Start(db, store, "v", Interval with { RebaseLogBytes = 1 }, _ => { }))   // a page pack at every upload
        {
            await db.PutAsync("secrets", "s1", JsonDocument.Parse("""{"text": "plaintext-marker-7f3a"}""").RootElement);
            await archiver.FlushAsync();
            await db.PutAsync("secrets", "s2", JsonDocument.Parse("""{"text": "plaintext-marker-7f3a again"}""").RootElement);
            await archiver.FlushAsync();
        }

        Assert.Contains(ArchiveManifest.Parse((await store.GetAsync("v/manifest.json"))!.Data).Bases, b => b.Pack);

        await foreach (var name in store.ListAsync("v/"))
        {
            var bytes = (await store.GetAsync(name))!.Data;
            Assert.Equal(-1, bytes.AsSpan().IndexOf("plaintext-marker-7f3a"u8));
            Assert.Equal(-1, bytes.AsSpan().IndexOf("\"batch\""u8));
        }

        using var keyless = new TempDirectory("quire-restored");
        await Assert.ThrowsAsync<Storage.Crypto.EncryptionKeyException>(() => ArchiveRestore.RestoreAsync(store, "v", keyless.Path, "vault", new DatabaseOptions()));

        using var restored = new TempDirectory("quire-restored");
        var end = await ArchiveRestore.RestoreAsync(store, "v", restored.Path, "vault", options);
        Assert.True(end.Encrypted);
        Assert.Equal(db.Head, (end.Seq, end.Head));
        using var again = DatabaseCatalog.Open(restored.Path, options);
        AssertSame(db, again.Get("vault"), asOf: null);
        Assert.Contains("plaintext-marker-7f3a", System.Text.Encoding.UTF8.GetString(again.Get("vault").Get("secrets", "s1")!.Json), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Uploads_that_fail_are_retried_without_a_lost_or_repeated_stretch_and_old_stretches_move_to_history()
    {
        using var s3 = await gateway.NewBucketAsync();
        var store = new FlakyStore(s3);
        using var data = new TempDirectory("quire-archived");
        using var catalog = DatabaseCatalog.Open(data.Path);
        var db = catalog.Create("shop");
        var seqs = new List<long>();
        await using (var archiver = DatabaseArchiver.Start(db, store, "f/shop", new ArchiverOptions { Interval = TimeSpan.FromMilliseconds(10), ManifestStretches = 4 }, _ => { }))
        {
            for (var batch = 0; batch < 24; batch++)
            {
                await WriteAsync(db, batch, batch + 1);
                seqs.Add(db.Head.Seq);
                await archiver.FlushAsync();
            }

            Assert.Null(archiver.Stopped);
        }

        Assert.True(store.Failed >= 4, $"only {store.Failed} uploads failed");
        var manifest = ArchiveManifest.Parse((await s3.GetAsync("f/shop/manifest.json"))!.Data);
        Assert.True(manifest.History.Count >= 3);
        var stretches = new List<ArchivedStretch>();
        foreach (var history in manifest.History)
        {
            stretches.AddRange(ArchiveManifest.ParseStretches((await s3.GetAsync(history.Key))!.Data));
        }

        stretches.AddRange(manifest.Log);
        Assert.Equal(manifest.Bases[0].Seq + 1, stretches[0].First);
        Assert.All(stretches.Zip(stretches.Skip(1)), pair => Assert.Equal(pair.First.Last + 1, pair.Second.First));   // contiguous: none lost, none twice
        Assert.Equal(db.Head.Seq, stretches[^1].Last);

        foreach (var seq in new[] { seqs[2], seqs[13], seqs[^1] })
        {
            using var restored = new TempDirectory("quire-restored");
            var point = await ArchiveRestore.RestoreAsync(s3, "f/shop", restored.Path, "shop", new DatabaseOptions(), seq);
            Assert.Equal(seq, point.Seq);
            using var again = DatabaseCatalog.Open(restored.Path);
            AssertSame(db, again.Get("shop"), asOf: seq);
        }
    }

    [Fact]
    public async Task Page_packs_upload_the_pages_changed_since_the_last_image_and_every_point_restores()
    {
        using var store = await gateway.NewBucketAsync();
        using var data = new TempDirectory("quire-archived");
        using var catalog = DatabaseCatalog.Open(data.Path);
        var db = catalog.Create("shop");
        await WriteAsync(db, 0, 60);   // 3,000 documents in the first base
        var points = new List<long>();
        await using (var archiver = DatabaseArchiver.Start(db, store, "pk/shop", new ArchiverOptions { Interval = TimeSpan.FromMilliseconds(20), RebaseLogBytes = 1 }, _ => { }))
        {
            for (var round = 0; round < 6; round++)
            {
                await db.PutAsync("items", $"i{round * 311:D5}", JsonDocument.Parse($$"""{"n": "changed in round {{round}}"}""").RootElement);
                await db.DeleteAsync("items", $"i{round * 101 + 7:D5}");
                await archiver.FlushAsync();
                points.Add(db.Head.Seq);
                await Task.Delay(60);   // the next image (a pack: every upload is worth one here)
            }

            await archiver.FlushAsync();
            Assert.Null(archiver.Stopped);
        }

        // Another run of the server (a new archiver) goes on with packs: the page hashes are kept beside the database.
        await using (var again = DatabaseArchiver.Start(db, store, "pk/shop", new ArchiverOptions { Interval = TimeSpan.FromMilliseconds(20), RebaseLogBytes = 1 }, _ => { }))
        {
            await db.PutAsync("items", "i00002", JsonDocument.Parse("""{"n": "after the restart"}""").RootElement);
            await again.FlushAsync();
            points.Add(db.Head.Seq);
        }

        var manifest = ArchiveManifest.Parse((await store.GetAsync("pk/shop/manifest.json"))!.Data);
        Assert.Single(manifest.Bases, b => !b.Pack);
        Assert.True(manifest.Bases[^1].Pack && manifest.Bases[^1].Seq == points[^1], "the restarted archiver's image is a pack");
        var packs = manifest.Bases.Where(b => b.Pack).ToList();
        Assert.True(packs.Count >= 3, $"{packs.Count} packs");
        Assert.False(manifest.Bases[0].Pack);
        Assert.All(packs, pack => Assert.True(pack.Bytes * 4 < manifest.Bases[0].Bytes, $"a pack of {pack.Bytes} bytes for a copy of {manifest.Bases[0].Bytes}"));

        foreach (var seq in points)
        {
            using var restored = new TempDirectory("quire-restored");
            var point = await ArchiveRestore.RestoreAsync(store, "pk/shop", restored.Path, "shop", new DatabaseOptions(), seq);
            Assert.Equal((seq, db.ChainHeadAt(seq)), (point.Seq, point.Head));
            using var again = DatabaseCatalog.Open(restored.Path);
            AssertSame(db, again.Get("shop"), asOf: seq);
        }
    }

    [Fact]
    public async Task A_base_larger_than_a_part_goes_up_in_parts_from_a_file_and_restores_streamed()
    {
        using var store = await gateway.NewBucketAsync();
        using var data = new TempDirectory("quire-archived");
        using var catalog = DatabaseCatalog.Open(data.Path);
        var db = catalog.Create("big");
        var random = new Random(11);
        for (var batch = 0; batch < 12; batch++)
        {
            // About 24 MiB of documents that do not compress: past the 16 MiB at which uploads go in parts.
            await db.BatchAsync([.. Enumerable.Range(batch * 20, 20).Select(i =>
                DocumentOp.Put("blobs", $"b{i:D4}", JsonDocument.Parse($$"""{"data": "{{Convert.ToBase64String(RandomBytes(random, 75_000))}}"}""").RootElement))]);
        }

        await using (var archiver = DatabaseArchiver.Start(db, store, "big", Interval, _ => { }))
        {
            await archiver.FlushAsync();
        }

        var manifest = ArchiveManifest.Parse((await store.GetAsync("big/manifest.json"))!.Data);
        Assert.True(manifest.Bases[0].Bytes > 16 << 20, $"the base is only {manifest.Bases[0].Bytes} bytes");
        Assert.Contains('-', (await store.GetAsync(manifest.Bases[0].Key))!.ETag);   // a multipart upload's ETag ends in -<parts>
        Assert.Empty(Directory.GetFiles(data.Path, ".big.archive-spool-*"));   // the spooled copy is gone

        using var restored = new TempDirectory("quire-restored");
        var end = await ArchiveRestore.RestoreAsync(store, "big", restored.Path, "big", new DatabaseOptions());
        Assert.Equal(db.Head, (end.Seq, end.Head));
        using var again = DatabaseCatalog.Open(restored.Path);
        Assert.Equal(db.Query("FROM blobs").Rows, again.Get("big").Query("FROM blobs").Rows);
    }

    private static byte[] RandomBytes(Random random, int count)
    {
        var bytes = new byte[count];
        random.NextBytes(bytes);
        return bytes;
    }

    [Fact]
    public async Task Retention_deletes_what_no_retained_point_needs_and_every_retained_point_restores_as_it_was()
    {
        using var store = await gateway.NewBucketAsync();
        using var data = new TempDirectory("quire-archived");
        using var catalog = DatabaseCatalog.Open(data.Path);
        var db = catalog.Create("shop");
        var retain = TimeSpan.FromSeconds(2);
        var points = new List<(long Seq, string Head, DateTimeOffset At)>();
        var logs = new System.Collections.Concurrent.ConcurrentQueue<string>();
        string firstBase;
        await using (var archiver = DatabaseArchiver.Start(db, store, "r/shop", new ArchiverOptions { Interval = TimeSpan.FromMilliseconds(50), Retain = retain }, logs.Enqueue))
        {
            await archiver.FlushAsync();
            firstBase = ArchiveManifest.Parse((await store.GetAsync("r/shop/manifest.json"))!.Data).Bases[0].Key;
            for (var round = 0; round < 25 || !logs.Any(l => l.Contains("retention kept", StringComparison.Ordinal)); round++)
            {
                Assert.True(round < 100, "retention never collected");
                await WriteAsync(db, round, round + 1);
                await db.DeleteAsync("items", $"i{round * 37 % (50 * (round + 1)):D5}");
                await archiver.FlushAsync();
                points.Add((db.Head.Seq, db.Head.Head, DateTimeOffset.UtcNow));
                await Task.Delay(150);
            }

            Assert.Null(archiver.Stopped);
        }

        var cutoff = DateTimeOffset.UtcNow - retain;   // the archiver is stopped: no later collection moves it
        var manifest = ArchiveManifest.Parse((await store.GetAsync("r/shop/manifest.json"))!.Data);
        var oldest = manifest.Bases[0];
        Assert.NotEqual(firstBase, oldest.Key);
        Assert.Null(await store.GetAsync(firstBase));
        await foreach (var key in store.ListAsync("r/shop/"))
        {
            // Nothing left that no retained point needs.
            Assert.True(key == "r/shop/manifest.json" || key == oldest.Key || ArchiveRetention.LastSeqOf(key["r/shop/".Length..]) > oldest.Seq, key);
        }

        Assert.All(points.Where(p => p.At >= cutoff), p => Assert.True(p.Seq >= oldest.Seq, $"seq {p.Seq} is within the retention, the archive keeps from {oldest.Seq}"));
        var retained = points.Where(p => p.Seq >= oldest.Seq).ToList();
        Assert.True(retained.Count < points.Count);
        foreach (var (seq, head, _) in retained)
        {
            using var restored = new TempDirectory("quire-restored");
            var point = await ArchiveRestore.RestoreAsync(store, "r/shop", restored.Path, "shop", new DatabaseOptions(), seq);
            Assert.Equal((seq, head), (point.Seq, point.Head));
            using var again = DatabaseCatalog.Open(restored.Path);
            AssertSame(db, again.Get("shop"), asOf: seq);
        }

        using var tooOld = new TempDirectory("quire-restored");
        var error = await Assert.ThrowsAsync<ArchiveException>(() => ArchiveRestore.RestoreAsync(store, "r/shop", tooOld.Path, "shop", new DatabaseOptions(), points[0].Seq));
        Assert.Contains("no base copy at or before", error.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// A store where a quarter of the writes fail, at random (seeded), as a store answering 500 or
    /// 503 past the SDK's retries would; never twice in a row.
    /// </summary>
    private sealed class FlakyStore(Quire.Replication.ObjectStore.IObjectStore inner) : Quire.Replication.ObjectStore.IObjectStore
    {
        private readonly Random _random = new(23);
        private bool _failedLast;

        public int Failed { get; private set; }

        public Task PutAsync(string key, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default) =>
            Flaky() ? Fail() : inner.PutAsync(key, data, cancellationToken);

        public async Task<string?> PutIfAsync(string key, ReadOnlyMemory<byte> data, string? ifMatch, CancellationToken cancellationToken = default)
        {
            if (Flaky())
            {
                await Fail();
            }

            return await inner.PutIfAsync(key, data, ifMatch, cancellationToken);
        }

        public Task<Quire.Replication.ObjectStore.StoredObject?> GetAsync(string key, CancellationToken cancellationToken = default) => inner.GetAsync(key, cancellationToken);

        public IAsyncEnumerable<string> ListAsync(string prefix, CancellationToken cancellationToken = default) => inner.ListAsync(prefix, cancellationToken);

        public Task DeleteAsync(string key, CancellationToken cancellationToken = default) => inner.DeleteAsync(key, cancellationToken);

        private bool Flaky()
        {
            lock (_random)
            {
                _failedLast = !_failedLast && _random.Next(4) == 0;
                return _failedLast;
            }
        }

        private Task Fail()
        {
            Failed++;
            throw new Quire.Replication.ObjectStore.ObjectStoreException("the object store refused to put: 503 SlowDown (injected)");
        }
    }

    private static async Task Until(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out");
            await Task.Delay(20);
        }
    }

    private static async Task WriteAsync(Database db, int from, int to)
    {
        for (var batch = from; batch < to; batch++)
        {
            await db.BatchAsync([.. Enumerable.Range(batch * 50, 50).Select(i => DocumentOp.Put("items", $"i{i:D5}", JsonDocument.Parse($$"""{"n": {{i}}, "batch": {{batch}}}""").RootElement))]);
        }
    }

    private static void AssertSame(Database expected, Database actual, long? asOf)
    {
        var query = asOf is { } seq ? $"FROM items AS OF {seq}" : "FROM items";
        Assert.Equal(
            expected.Query(query).Rows.Select(r => JsonDocument.Parse(r).RootElement.GetRawText()),
            actual.Query("FROM items").Rows.Select(r => JsonDocument.Parse(r).RootElement.GetRawText()));
        Assert.True(actual.Verify().Ok);
    }
}
