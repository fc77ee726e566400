using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using Quire.Bench.Encryption;
using Quire.Bench.Harness;
using Quire.Bench.Replication;
using Quire.Databases;
using Quire.Documents;
using Quire.Replication.Archive;
using Quire.Replication.ObjectStore;
using Quire.Storage.Crypto;

namespace Quire.Bench.ObjectStore;

/// <summary>
/// Suite <c>objectstore</c>: what archiving to an S3-compatible bucket costs, against Debian's
/// radosgw on loopback, started by the suite itself. For 100,000 and 1,000,000 documents (loaded
/// in batches of 1,000 with the archiver on, every 200 ms): the objects and bytes uploaded
/// after 1 changed document (<c>push-objects-k1</c>, <c>push-bytes-k1</c>) and after 1,000
/// (<c>push-objects-k1000</c>, at a million), the same at a million with a page pack in every
/// upload (<c>-packs-</c>: the changed pages as one object), the tree's depth, and the time to
/// restore the million from the bucket (<c>restore-s-n1000000</c>). Then put-c64 over HTTP on three
/// servers in turn (plain, <c>--archive</c>, encrypted), and the encryption suite's
/// point-read-t4 plain and encrypted.
/// </summary>
public static class ObjectStoreSuite
{
    private static readonly TimeSpan ArchiveInterval = TimeSpan.FromMilliseconds(200);

    public static void Run(BenchRun run)
    {
        Console.WriteLine("  (starting radosgw: tools/rgw/start.sh)");
        using var rgw = new RgwNode();
        Environment.SetEnvironmentVariable("AWS_ACCESS_KEY_ID", RgwNode.AccessKey);   // for the servers started below
        Environment.SetEnvironmentVariable("AWS_SECRET_ACCESS_KEY", RgwNode.SecretKey);
        foreach (var size in new[] { 100_000, 1_000_000 })
        {
            Pushes(run, rgw, size, large: size == 1_000_000).GetAwaiter().GetResult();
        }

        Writes(run, rgw);
        EncryptionSuite.Reads(run, MasterKey.FromBytes(RandomNumberGenerator.GetBytes(32)), cached: false, name: n => n.Replace("-plain", "", StringComparison.Ordinal));

        var report = run.Report;
        Console.WriteLine();
        report.Ratio("put-c64-archive / put-c64", ("quire", "put-c64-archive"), ("quire", "put-c64"), 0.9);
        report.Ratio("put-c64-encrypted / put-c64", ("quire", "put-c64-encrypted"), ("quire", "put-c64"), 0.85);
        report.Ratio("point-read-t4-encrypted / point-read-t4", ("quire", "point-read-t4-encrypted"), ("quire", "point-read-t4"), 0.85);
        Console.WriteLine("  goals: push-objects-k1 <= 3 and push-bytes-k1 <= 131072 at both sizes, restore-s-n1000000 < 30");
    }

    private static async Task Pushes(BenchRun run, RgwNode rgw, int size, bool large)
    {
        using var directory = new BenchDirectory("quire-objectstore");
        using var s3 = new S3ObjectStore($"bench-{Guid.NewGuid():N}"[..30], rgw.Endpoint, RgwNode.Credentials);
        await s3.EnsureBucketAsync();
        var store = new CountingStore(s3);
        using var catalog = DatabaseCatalog.Open(Path.Combine(directory.Path, "live"));
        var db = catalog.Create("bench");
        var clock = Stopwatch.StartNew();
        long archived;
        await using (var archiver = DatabaseArchiver.Start(db, store, "b/bench", new ArchiverOptions { Interval = ArchiveInterval }, _ => { }, warning => Console.WriteLine($"  ({warning})")))
        {
            for (var batch = 0; batch * 1000 < size; batch++)
            {
                await db.BatchAsync([.. Enumerable.Range(batch * 1000, 1000).Select(i => Put(i, 0))]);
            }

            await archiver.FlushAsync();
            Console.WriteLine($"  (loaded {size:N0} documents with the archiver on in {clock.Elapsed.TotalSeconds:F1} s: {store.Objects:N0} objects, {store.Bytes:N0} bytes uploaded)");
            if (large)
            {
                run.Report.Add(new BenchResult("quire", $"depth-n{size}", db.Storage.TreeDepth, "levels"));
            }

            var random = new Random(42);
            await PushAsync(run, archiver, store, $"k1-n{size}", () => db.PutAsync("kv", Id(random.Next(size)), Doc(random.Next(size), 1)), bytes: true);
            if (large)
            {
                await PushAsync(run, archiver, store, $"k1000-n{size}", () => db.BatchAsync([.. Enumerable.Range(0, 1000).Select(_ => Put(random.Next(size), 2))]), bytes: true);
            }

            await archiver.FlushAsync();
            archived = archiver.ArchivedSeq;   // the database's own upkeep may commit after the archiver stops
        }

        if (large)
        {
            // The same changes with a pack of the changed pages in every upload (what a checkpoint
            // uploads when the log since the last image is worth folding in), against a new archive.
            var random = new Random(43);
            await using (var packing = DatabaseArchiver.Start(db, store, "p/bench", new ArchiverOptions { Interval = ArchiveInterval, RebaseLogBytes = 1 }, _ => { }, warning => Console.WriteLine($"  ({warning})")))
            {
                await packing.FlushAsync();
                await PushAsync(run, packing, store, $"k1-packs-n{size}", () => db.PutAsync("kv", Id(random.Next(size)), Doc(random.Next(size), 3)), bytes: true);
                await PushAsync(run, packing, store, $"k1000-packs-n{size}", () => db.BatchAsync([.. Enumerable.Range(0, 1000).Select(_ => Put(random.Next(size), 4))]), bytes: true);
            }

            var target = Path.Combine(directory.Path, "restored");
            clock.Restart();
            var restored = await ArchiveRestore.RestoreAsync(s3, "b/bench", target, "bench", new DatabaseOptions());
            var seconds = clock.Elapsed.TotalSeconds;
            run.Report.Add(restored.Seq == archived
                ? new BenchResult("quire", $"restore-s-n{size}", seconds, "s")
                : new BenchResult("quire", $"restore-s-n{size}", null, "s", $"restored to seq {restored.Seq}, the archive holds {archived}"));
            Console.WriteLine($"  (restore: a base at seq {restored.BaseSeq:N0} and {restored.Records:N0} log records)");
        }
    }

    /// <summary>The objects (and bytes) the archive uploads for one change: from a quiet archive, the change, then until it is archived and quiet again.</summary>
    private static async Task PushAsync(BenchRun run, DatabaseArchiver archiver, CountingStore store, string suffix, Func<Task> change, bool bytes)
    {
        await archiver.FlushAsync();
        await Task.Delay(ArchiveInterval * 3);   // nothing left in flight
        var (objects, uploaded) = (store.Objects, store.Bytes);
        await change();
        await archiver.FlushAsync();
        await Task.Delay(ArchiveInterval * 3);   // anything the change leads to later counts too
        run.Report.Add(new BenchResult("quire", $"push-objects-{suffix}", store.Objects - objects, "objects"));
        if (bytes)
        {
            run.Report.Add(new BenchResult("quire", $"push-bytes-{suffix}", store.Bytes - uploaded, "bytes"));
        }
    }

    /// <summary>put-c64 over HTTP on a plain server, an archiving one and an encrypted one, each repeat in turn.</summary>
    private static void Writes(BenchRun run, RgwNode rgw)
    {
        var (warmup, window, repeats) = (TimeSpan.FromSeconds(run.Quick ? 0.5 : 2), TimeSpan.FromSeconds(run.Quick ? 2 : 5), run.Quick ? 2 : 3);
        using var directory = new BenchDirectory("quire-objectstore-writes");
        var keyFile = Path.Combine(directory.Path, "master.key");
        File.WriteAllText(keyFile, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)));
        var bucket = $"bench-{Guid.NewGuid():N}"[..30];
        var nodes = new List<(string Case, ServerNode Node, List<double> Rates)>();
        try
        {
            nodes.Add(("put-c64", ServerNode.Start(Path.Combine(directory.Path, "plain"), "bench", null), []));
            nodes.Add(("put-c64-archive", ServerNode.Start(Path.Combine(directory.Path, "archive"), "bench", null, "--archive", $"s3://{bucket}/w", "--s3-endpoint", rgw.Endpoint.ToString()), []));
            nodes.Add(("put-c64-encrypted", ServerNode.Start(Path.Combine(directory.Path, "encrypted"), "bench", null, "--key-file", keyFile), []));
            var storeCpu = 0.0;
            for (var r = 0; r < repeats; r++)
            {
                foreach (var (name, node, rates) in nodes)
                {
                    var cpu = rgw.CpuSeconds;
                    rates.Add(ReplicationSuite.PutC64(node, warmup, window));
                    storeCpu += name == "put-c64-archive" ? rgw.CpuSeconds - cpu : 0;
                }
            }

            // The bucket's servers share the two cores with the server being measured: what they took is what archiving cost here beyond the server itself.
            Console.WriteLine($"  (radosgw and its OSD used {storeCpu / (repeats * (warmup + window).TotalSeconds):P0} of one core during put-c64-archive)");

            foreach (var (name, _, rates) in nodes)
            {
                run.Report.Add(new BenchResult("quire", name, Median.Of(rates), "ops/s"));
            }
        }
        finally
        {
            foreach (var (_, node, _) in nodes)
            {
                node.Dispose();
            }
        }
    }

    private static string Id(int i) => $"k{i:D8}";

    private static JsonElement Doc(int i, int version) => JsonDocument.Parse($$"""{"v": {{i}}, "version": {{version}}, "pad": "{{new string('x', 150)}}"}""").RootElement;

    private static DocumentOp Put(int i, int version) => DocumentOp.Put("kv", Id(i), Doc(i, version));
}
