using System.Diagnostics;
using System.Net;
using Quire.Server.Tests.Cli;
using Quire.TestSupport;
using Xunit.Abstractions;

namespace Quire.Server.Tests.ObjectStore;

/// <summary>
/// <c>quire serve --archive</c> and <c>quire restore s3://...</c> through the real binaries and
/// a real S3 server: a server killed with SIGKILL during a write flood, its data directory
/// deleted, is restored from the bucket with every acknowledged write but those of the last
/// archive interval; a second server pointed at the same prefix stops archiving and says so.
/// </summary>
[Collection("rgw")]
public class ArchiveServerTests(RadosGateway gateway, ITestOutputHelper output)
{
    private const int IntervalMs = 200;

    [Fact]
    public async Task After_a_kill_and_a_lost_data_directory_the_restore_misses_only_the_last_intervals_writes()
    {
        var bucket = $"rpo-{Guid.NewGuid():N}"[..20];
        var archive = new[] { "--archive", $"s3://{bucket}/prod", "--s3-endpoint", gateway.Endpoint.ToString(), "--archive-interval-ms", $"{IntervalMs}" };
        var env = new Dictionary<string, string>(RadosGateway.Environment);
        var acknowledged = new List<(string Id, long AtMs)>();
        var data = new TempDirectory("quire-archiving");
        long killedAtMs;
        using (var server = new ServerProcess(ServerProcess.FreePort(), null, data, env, archive))
        {
            Assert.Equal(HttpStatusCode.Created, (await server.SendAsync(HttpMethod.Post, "/v1/databases", """{"name":"shop"}""")).Status);
            await Until(async () => (await server.SendAsync(HttpMethod.Get, "/health")).Body.GetProperty("archive").GetProperty("databases").TryGetProperty("shop", out var shop) && shop.GetProperty("uploads").GetInt64() > 0);

            var clock = Stopwatch.StartNew();
            var writers = Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
            {
                for (var i = 0; clock.Elapsed < TimeSpan.FromSeconds(3); i++)
                {
                    var id = $"w{w}-{i}";
                    var (status, _) = await server.SendAsync(HttpMethod.Post, "/v1/databases/shop/put", $$$"""{"coll":"c","id":"{{{id}}}","doc":{"i":{{{i}}}}}""");
                    if (status == HttpStatusCode.OK)
                    {
                        lock (acknowledged)
                        {
                            acknowledged.Add((id, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()));
                        }
                    }
                }
            })).ToList();
            await Task.Delay(2500);
            var health = (await server.SendAsync(HttpMethod.Get, "/health")).Body.GetProperty("archive");
            Assert.Equal($"s3://{bucket}/prod", health.GetProperty("location").GetString());
            Assert.True(health.GetProperty("databases").GetProperty("shop").GetProperty("seq").GetInt64() > 0);
            using (var metrics = await server.Http.GetAsync("/metrics"))
            {
                Assert.Contains("quire_server_archive_seq{db=\"shop\"}", await metrics.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            }

            server.Kill();   // SIGKILL in the middle of the flood
            killedAtMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            await Task.WhenAll(writers.Select(w => w.ContinueWith(_ => { }, TaskScheduler.Default)));
        }

        data.Dispose();   // the machine is gone: only the bucket is left
        using var restored = new TempDirectory("quire-restored");
        var (code, stdout, stderr) = QuireCli.RunWith(env, "restore", $"s3://{bucket}/prod", "--to", restored.Path, "--s3-endpoint", gateway.Endpoint.ToString());
        Assert.True(code == 0, stdout + stderr);
        Assert.Contains("restored shop", stdout, StringComparison.Ordinal);

        using var again = new ServerProcess(null, restored);
        var missing = new List<(string Id, long AtMs)>();
        foreach (var (id, atMs) in acknowledged)
        {
            if ((await again.SendAsync(HttpMethod.Get, $"/v1/databases/shop/docs/c/{id}")).Status != HttpStatusCode.OK)
            {
                missing.Add((id, atMs));
            }
        }

        var window = missing.Count == 0 ? 0 : killedAtMs - missing.Min(m => m.AtMs);
        output.WriteLine($"RPO: {acknowledged.Count} writes acknowledged, {missing.Count} missing after the restore, all acknowledged in the last {window} ms before the kill (interval {IntervalMs} ms)");
        Assert.True(acknowledged.Count > 100);
        Assert.All(missing, m => Assert.True(killedAtMs - m.AtMs <= IntervalMs + 1000, $"{m.Id}, acknowledged {killedAtMs - m.AtMs} ms before the kill, is missing"));
    }

    [Fact]
    public async Task A_second_server_on_the_same_prefix_stops_archiving_and_says_so()
    {
        var bucket = $"two-{Guid.NewGuid():N}"[..20];
        var archive = new[] { "--archive", $"s3://{bucket}/p", "--s3-endpoint", gateway.Endpoint.ToString(), "--archive-interval-ms", $"{IntervalMs}" };
        var env = new Dictionary<string, string>(RadosGateway.Environment);
        using var first = new ServerProcess(ServerProcess.FreePort(), null, null, env, archive);
        Assert.Equal(HttpStatusCode.Created, (await first.SendAsync(HttpMethod.Post, "/v1/databases", """{"name":"shop"}""")).Status);
        await Until(async () => (await first.SendAsync(HttpMethod.Get, "/health")).Body.GetProperty("archive").GetProperty("databases").TryGetProperty("shop", out var shop) && shop.GetProperty("uploads").GetInt64() > 0);

        using var second = new ServerProcess(ServerProcess.FreePort(), null, null, env, archive);
        Assert.Equal(HttpStatusCode.Created, (await second.SendAsync(HttpMethod.Post, "/v1/databases", """{"name":"shop"}""")).Status);
        await Until(async () => (await second.SendAsync(HttpMethod.Get, "/health")).Body.GetProperty("archive").GetProperty("databases").TryGetProperty("shop", out var shop) && shop.TryGetProperty("stopped", out _));
        var stopped = (await second.SendAsync(HttpMethod.Get, "/health")).Body.GetProperty("archive").GetProperty("databases").GetProperty("shop").GetProperty("stopped").GetString();
        Assert.Contains("another database", stopped, StringComparison.Ordinal);
        await Until(() => Task.FromResult(second.Printed("stopped")));
        using (var metrics = await second.Http.GetAsync("/metrics"))
        {
            Assert.Contains("quire_server_archive_stopped{db=\"shop\"} 1", await metrics.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        Assert.False((await first.SendAsync(HttpMethod.Get, "/health")).Body.GetProperty("archive").GetProperty("databases").GetProperty("shop").TryGetProperty("stopped", out _));
    }

    [Fact]
    public async Task A_restore_that_cannot_be_done_says_why_and_makes_nothing()
    {
        using var store = await gateway.NewBucketAsync();
        await store.PutAsync("empty/readme", "nothing archived here"u8.ToArray());
        var env = new Dictionary<string, string>(RadosGateway.Environment);
        using var target = new TempDirectory("quire-restored");
        var bucket = store.Bucket;
        var endpoint = new[] { "--s3-endpoint", gateway.Endpoint.ToString() };

        var empty = QuireCli.RunWith(env, ["restore", $"s3://{bucket}/empty", "--to", target.Path, .. endpoint]);
        Assert.Equal(1, empty.Code);
        Assert.Contains("holds no archived database", empty.Error, StringComparison.Ordinal);
        var missing = QuireCli.RunWith(env, ["restore", $"s3://{bucket}/empty", "--db", "shop", "--to", target.Path, .. endpoint]);
        Assert.Equal(1, missing.Code);
        Assert.Contains("no archive at empty/shop", missing.Error, StringComparison.Ordinal);
        var both = QuireCli.RunWith(env, ["restore", $"s3://{bucket}/empty", "--seq", "5", "--time", "2026-01-01T00:00:00Z", "--to", target.Path, .. endpoint]);
        Assert.Equal(2, both.Code);
        Assert.Contains("not both", both.Error, StringComparison.Ordinal);
        Assert.DoesNotContain(Directory.GetDirectories(target.Path), d => !Path.GetFileName(d).StartsWith('.'));
        Assert.DoesNotContain("   at ", empty.Error + missing.Error + both.Error, StringComparison.Ordinal);
    }

    private static async Task Until(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out");
            await Task.Delay(50);
        }
    }
}
