using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Quire.Databases;
using Quire.Documents;
using Quire.Replication.Archive;
using Quire.Replication.ObjectStore;
using Quire.TestSupport;

namespace Quire.Server.Tests.ObjectStore;

/// <summary>
/// The archive when things go wrong around it: a bucket that answers 503 SlowDown and 500
/// (also after carrying out a write), and a server killed while it uploads, then restarted.
/// Neither may lose a stretch of log or list one twice.
/// </summary>
[Collection("rgw")]
public class ArchiveFaultTests(RadosGateway gateway)
{
    [Fact]
    public async Task Through_a_bucket_answering_503_SlowDown_and_500_after_writes_no_stretch_is_lost_or_listed_twice()
    {
        using var direct = await gateway.NewBucketAsync();
        await using var proxy = new FailingS3Proxy(gateway.Endpoint, seed: 7, slowDownRate: 0.2, errorAfterWriteRate: 0.15);
        using var failing = new S3ObjectStore(direct.Bucket, proxy.Endpoint, RadosGateway.Credentials, maxRetries: 3);
        using var data = new TempDirectory("quire-archived");
        using var catalog = DatabaseCatalog.Open(data.Path);
        var db = catalog.Create("shop");
        var warnings = new System.Collections.Concurrent.ConcurrentQueue<string>();
        await using (var archiver = DatabaseArchiver.Start(db, failing, "x/shop", new ArchiverOptions { Interval = TimeSpan.FromMilliseconds(10) }, _ => { }, warnings.Enqueue))
        {
            for (var batch = 0; batch < 40; batch++)
            {
                await db.BatchAsync([.. Enumerable.Range(batch * 20, 20).Select(i => DocumentOp.Put("items", $"i{i:D5}", JsonDocument.Parse($$"""{"n": {{i}}}""").RootElement))]);
                if (batch % 2 == 0)
                {
                    await archiver.FlushAsync();
                }
            }

            await archiver.FlushAsync();
            Assert.Null(archiver.Stopped);   // a manifest written but answered with 500 is recognised as ours, not as a lost race
        }

        Assert.True(proxy.SlowDowns >= 5 && proxy.ErrorsAfterWrite >= 5, $"{proxy.SlowDowns} SlowDowns, {proxy.ErrorsAfterWrite} 500s after a write");
        var manifest = ArchiveManifest.Parse((await direct.GetAsync("x/shop/manifest.json"))!.Data);
        var stretches = manifest.Log;
        Assert.Equal(manifest.Bases[0].Seq + 1, stretches[0].First);
        Assert.All(stretches.Zip(stretches.Skip(1)), pair => Assert.Equal(pair.First.Last + 1, pair.Second.First));
        Assert.Equal(db.Head.Seq, stretches[^1].Last);

        using var restored = new TempDirectory("quire-restored");
        var end = await ArchiveRestore.RestoreAsync(direct, "x/shop", restored.Path, "shop", new DatabaseOptions());
        Assert.Equal(db.Head, (end.Seq, end.Head));
        using var again = DatabaseCatalog.Open(restored.Path);
        Assert.Equal(db.Query("FROM items").Rows, again.Get("shop").Query("FROM items").Rows);
    }

    [Fact]
    public async Task A_server_killed_while_it_uploads_and_restarted_goes_on_with_the_same_archive_without_a_gap()
    {
        var bucket = $"kill-{Guid.NewGuid():N}"[..20];
        var archive = new[] { "--archive", $"s3://{bucket}/p", "--s3-endpoint", gateway.Endpoint.ToString(), "--archive-interval-ms", "20", "--archive-retain", "1h" };
        var env = new Dictionary<string, string>(RadosGateway.Environment);
        using var data = new TempDirectory("quire-archiving");
        using (var server = new ServerProcess(ServerProcess.FreePort(), null, data, env, archive))
        {
            Assert.Equal(HttpStatusCode.Created, (await server.SendAsync(HttpMethod.Post, "/v1/databases", """{"name":"shop"}""")).Status);
            await ArchivedAsync(server, -1);   // the bucket made and the base copy uploaded
            var clock = Stopwatch.StartNew();
            var writers = Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
            {
                for (var i = 0; clock.Elapsed < TimeSpan.FromSeconds(2); i++)
                {
                    await server.SendAsync(HttpMethod.Post, "/v1/databases/shop/put", $$$"""{"coll":"c","id":"a{{{w}}}-{{{i}}}","doc":{"i":{{{i}}}}}""");
                }
            })).ToList();
            await Task.Delay(1500);
            Assert.True(await ArchivedSeqAsync(server) > 0);
            server.Kill();   // uploads go on every 20 ms under this flood: one is in flight as often as not
            await Task.WhenAll(writers.Select(w => w.ContinueWith(_ => { }, TaskScheduler.Default)));
        }

        long seq;
        string head;
        using (var server = new ServerProcess(ServerProcess.FreePort(), null, data, env, archive))
        {
            for (var i = 0; i < 100; i++)
            {
                Assert.Equal(HttpStatusCode.OK, (await server.SendAsync(HttpMethod.Post, "/v1/databases/shop/put", $$$"""{"coll":"c","id":"b{{{i}}}","doc":{"i":{{{i}}}}}""")).Status);
            }

            var tip = (await server.SendAsync(HttpMethod.Get, "/v1/databases/shop/tip")).Body;
            (seq, head) = (tip.GetProperty("seq").GetInt64(), tip.GetProperty("head").GetString()!);
            await ArchivedAsync(server, seq);
            var health = (await server.SendAsync(HttpMethod.Get, "/health")).Body.GetProperty("archive").GetProperty("databases").GetProperty("shop");
            Assert.False(health.TryGetProperty("stopped", out _));   // the archive it left is its own: it carries on
        }

        using var store = new S3ObjectStore(bucket, gateway.Endpoint, RadosGateway.Credentials);
        var manifest = ArchiveManifest.Parse((await store.GetAsync("p/shop/manifest.json"))!.Data);
        Assert.Single(manifest.Bases);   // the log was held through the kill: the archive goes on from it, no second base
        Assert.All(manifest.Log.Zip(manifest.Log.Skip(1)), pair => Assert.Equal(pair.First.Last + 1, pair.Second.First));

        using var restored = new TempDirectory("quire-restored");
        var end = await ArchiveRestore.RestoreAsync(store, "p/shop", restored.Path, "shop", new DatabaseOptions());
        Assert.Equal((seq, head), (end.Seq, end.Head));
        using var live = DatabaseCatalog.Open(data.Path);
        using var again = DatabaseCatalog.Open(restored.Path);
        Assert.Equal(live.Get("shop").Query("FROM c").Rows, again.Get("shop").Query("FROM c").Rows);
    }

    private static async Task ArchivedAsync(ServerProcess server, long seq)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (await ArchivedSeqAsync(server) is var archived && (archived < seq || (seq < 0 && archived == long.MinValue)))
        {
            Assert.True(DateTime.UtcNow < deadline, $"the server never archived seq {seq}");
            await Task.Delay(50);
        }
    }

    /// <summary>The last seq archived (-1: only the base so far), or long.MinValue before the archiver has begun.</summary>
    private static async Task<long> ArchivedSeqAsync(ServerProcess server) =>
        (await server.SendAsync(HttpMethod.Get, "/health")).Body.GetProperty("archive").GetProperty("databases").TryGetProperty("shop", out var shop)
            && shop.GetProperty("uploads").GetInt64() > 0
            ? shop.GetProperty("seq").GetInt64()
            : long.MinValue;
}
