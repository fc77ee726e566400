using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using Xunit.Abstractions;

namespace Quire.Server.Tests.Replication;

/// <summary>
/// SIGKILL the primary during a write flood, promote its replica: with a synchronous
/// replica every acknowledged write is there; asynchronous, the loss is counted and
/// reported. Rounds: 20, or QUIRE_FAILOVER_ROUNDS.
/// </summary>
public class FailoverTests(ITestOutputHelper output)
{
    private static int Rounds => int.TryParse(Environment.GetEnvironmentVariable("QUIRE_FAILOVER_ROUNDS"), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 20;

    /// <summary>One round: how many writes were acknowledged, and which of them the promoted replica lacks.</summary>
    private static async Task<(int Acknowledged, List<string> Lost)> RoundAsync(int round, bool sync)
    {
        var primaryPort = ServerProcess.FreePort();
        using var primary = new ServerProcess(primaryPort, null, null, sync ? ["--sync-replicas", "1", "--sync-timeout-ms", "5000"] : []);
        using var replica = new ServerProcess(null, null, "--replica-of", $"http://127.0.0.1:{primaryPort}");
        Assert.Equal(HttpStatusCode.Created, (await primary.SendAsync(HttpMethod.Post, "/v1/databases", """{"name": "flood"}""")).Status);
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while ((await replica.SendAsync(HttpMethod.Get, "/health")).Body.GetProperty("databases").GetArrayLength() == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "the replica never saw the database");
            await Task.Delay(20);
        }

        if (sync)
        {
            while ((await primary.SendAsync(HttpMethod.Get, "/health")).Body.GetProperty("replicas").GetInt32() == 0)
            {
                Assert.True(DateTime.UtcNow < deadline, "the replica never connected");
                await Task.Delay(20);
            }
        }

        var acknowledged = new ConcurrentBag<string>();
        using var stop = new CancellationTokenSource();
        var writers = Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            using var http = new HttpClient { BaseAddress = primary.Http.BaseAddress, Timeout = TimeSpan.FromSeconds(10) };
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var id = $"r{round}-w{w}-{i}";
                try
                {
                    using var response = await http.PostAsync("/v1/databases/flood/put", new StringContent($$$"""{"coll": "c", "id": "{{{id}}}", "doc": {"i": {{{i}}}}}"""));
                    if (response.StatusCode == HttpStatusCode.OK)
                    {
                        acknowledged.Add(id);
                    }
                }
                catch (HttpRequestException)
                {
                    return;   // the primary is gone
                }
                catch (TaskCanceledException)
                {
                    return;
                }
            }
        })).ToArray();

        await Task.Delay(300 + (round * 37 % 400));
        primary.Kill();
        stop.Cancel();
        await Task.WhenAll(writers);

        var (promoted, _) = await replica.SendAsync(HttpMethod.Post, "/v1/admin/promote");
        Assert.Equal(HttpStatusCode.OK, promoted);
        var lost = new List<string>();
        foreach (var id in acknowledged)
        {
            var (status, _) = await replica.SendAsync(HttpMethod.Get, $"/v1/databases/flood/docs/c/{id}");
            if (status != HttpStatusCode.OK)
            {
                lost.Add(id);
            }
        }

        Assert.Equal(HttpStatusCode.OK, (await replica.SendAsync(HttpMethod.Post, "/v1/databases/flood/put", """{"coll": "c", "id": "after", "doc": {}}""")).Status);
        return (acknowledged.Count, lost);
    }

    [Fact]
    public async Task With_a_synchronous_replica_no_acknowledged_write_is_lost_when_the_primary_is_killed()
    {
        var total = 0;
        for (var round = 0; round < Rounds; round++)
        {
            var (acknowledged, lost) = await RoundAsync(round, sync: true);
            Assert.True(acknowledged > 0, $"round {round}: no write was acknowledged");
            Assert.True(lost.Count == 0, $"round {round}: {lost.Count} of {acknowledged} acknowledged writes lost, e.g. {string.Join(", ", lost.Take(5))}");
            total += acknowledged;
        }

        output.WriteLine($"{Rounds} rounds, {total} acknowledged writes, none lost");
    }

    [Fact]
    public async Task Asynchronously_the_writes_lost_at_a_kill_are_counted()
    {
        var (acknowledged, lost) = await RoundAsync(0, sync: false);
        Assert.True(acknowledged > 0);
        output.WriteLine($"asynchronous: {lost.Count} of {acknowledged} acknowledged writes were not on the replica when the primary was killed");
    }

    [Fact]
    public async Task Without_its_synchronous_replicas_a_write_fails_with_503_and_says_why()
    {
        using var primary = new ServerProcess(null, null, "--sync-replicas", "1", "--sync-timeout-ms", "300");
        await primary.SendAsync(HttpMethod.Post, "/v1/databases", """{"name": "lonely"}""");
        var (status, body) = await primary.SendAsync(HttpMethod.Post, "/v1/databases/lonely/put", """{"coll": "c", "id": "a", "doc": {}}""");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Contains("1 synchronous replica(s) did not confirm it within 300 ms", body.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(1, (await primary.SendAsync(HttpMethod.Get, "/health")).Body.GetProperty("sync_replicas").GetInt32());
        Assert.Equal(HttpStatusCode.Conflict, (await primary.SendAsync(HttpMethod.Post, "/v1/admin/promote")).Status);
    }

    [Fact]
    public async Task An_old_primary_pointed_at_its_successor_keeps_its_diverged_ops_aside_and_is_made_again_from_a_copy()
    {
        using var oldData = new Quire.TestSupport.TempDirectory("quire-old-primary");
        using var newData = new Quire.TestSupport.TempDirectory("quire-new-primary");
        var oldPort = ServerProcess.FreePort();
        using (var primary = new ServerProcess(oldPort, null, oldData))
        {
            using (var replica = new ServerProcess(null, newData, "--replica-of", $"http://127.0.0.1:{oldPort}"))
            {
                await primary.SendAsync(HttpMethod.Post, "/v1/databases", """{"name": "shop"}""");
                for (var i = 0; i < 30; i++)
                {
                    await primary.SendAsync(HttpMethod.Post, "/v1/databases/shop/put", "{\"coll\": \"c\", \"id\": \"common" + i + "\", \"doc\": {}}");
                }

                var deadline = DateTime.UtcNow.AddSeconds(20);
                while ((await replica.SendAsync(HttpMethod.Get, "/v1/databases/shop/status")).Body is var s && (s.ValueKind != System.Text.Json.JsonValueKind.Object || !s.TryGetProperty("tip_seq", out var tip) || tip.GetInt64() < 29))
                {
                    Assert.True(DateTime.UtcNow < deadline, "the replica did not catch up");
                    await Task.Delay(20);
                }
            }

            for (var i = 0; i < 12; i++)
            {
                await primary.SendAsync(HttpMethod.Post, "/v1/databases/shop/put", "{\"coll\": \"c\", \"id\": \"lost" + i + "\", \"doc\": {}}");   // the replica never gets these
            }
        }

        var newPort = ServerProcess.FreePort();
        using var successor = new ServerProcess(newPort, null, newData);   // the replica's data, now a primary
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await successor.SendAsync(HttpMethod.Post, "/v1/databases/shop/put", "{\"coll\": \"c\", \"id\": \"new" + i + "\", \"doc\": {}}")).Status);
        }

        using var old = new ServerProcess(oldPort, null, oldData, "--replica-of", $"http://127.0.0.1:{newPort}");
        var until = DateTime.UtcNow.AddSeconds(30);
        while ((await old.SendAsync(HttpMethod.Get, "/v1/databases/shop/docs/c/new4")).Status != HttpStatusCode.OK)
        {
            Assert.True(DateTime.UtcNow < until, $"the old primary was not made again from a copy of its successor:\n{old.Output}");
            await Task.Delay(50);
        }

        var health = (await old.SendAsync(HttpMethod.Get, "/health")).Body;
        Assert.Contains("diverged from the primary after seq 29", health.GetProperty("replication_diverged").GetString(), StringComparison.Ordinal);
        var kept = Directory.GetFiles(oldData.Path, ".diverged-shop-*.jsonl");
        var lines = File.ReadAllLines(Assert.Single(kept));
        Assert.Equal(12, lines.Length);
        Assert.All(lines, line => Assert.Contains("\"lost", line, StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.NotFound, (await old.SendAsync(HttpMethod.Get, "/v1/databases/shop/docs/c/lost0")).Status);   // kept aside, not in the database
        var theirs = (await successor.SendAsync(HttpMethod.Get, "/v1/databases/shop/tip")).Body;
        var mine = (await old.SendAsync(HttpMethod.Get, "/v1/databases/shop/tip")).Body;
        Assert.Equal(theirs.GetProperty("seq").GetInt64(), mine.GetProperty("seq").GetInt64());
        Assert.Equal(theirs.GetProperty("head").GetString(), mine.GetProperty("head").GetString());
    }

    [Fact]
    public async Task A_promotion_starts_a_new_epoch_and_a_replica_that_has_seen_it_refuses_the_replaced_primary()
    {
        using var oldPrimary = new ServerProcess();
        await oldPrimary.SendAsync(HttpMethod.Post, "/v1/databases", """{"name": "shop"}""");
        using var promoted = new ServerProcess(ServerProcess.FreePort(), null, null, "--replica-of", $"http://127.0.0.1:{oldPrimary.Port}");
        Assert.Equal(1, (await oldPrimary.SendAsync(HttpMethod.Get, "/health")).Body.GetProperty("epoch").GetInt64());
        Assert.Equal(HttpStatusCode.OK, (await promoted.SendAsync(HttpMethod.Post, "/v1/admin/promote")).Status);
        Assert.Equal(2, (await promoted.SendAsync(HttpMethod.Get, "/health")).Body.GetProperty("epoch").GetInt64());

        using var data = new Quire.TestSupport.TempDirectory("quire-epoch-replica");
        using (var follower = new ServerProcess(null, data, "--replica-of", $"http://127.0.0.1:{promoted.Port}"))
        {
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while ((await follower.SendAsync(HttpMethod.Get, "/health")).Body.GetProperty("epoch").GetInt64() != 2)
            {
                Assert.True(DateTime.UtcNow < deadline, $"the replica never took its primary's epoch:\n{follower.Output}\n{(await follower.SendAsync(HttpMethod.Get, "/health")).Body}");
                await Task.Delay(50);
            }
        }

        using var misdirected = new ServerProcess(null, data, "--replica-of", $"http://127.0.0.1:{oldPrimary.Port}");
        var until = DateTime.UtcNow.AddSeconds(20);
        string? error = null;
        while (error is null)
        {
            Assert.True(DateTime.UtcNow < until, $"the replica followed a replaced primary:\n{misdirected.Output}");
            await Task.Delay(50);
            var health = (await misdirected.SendAsync(HttpMethod.Get, "/health")).Body;
            error = health.TryGetProperty("replication_error", out var e) ? e.GetString() : null;
        }

        Assert.Equal("the primary's epoch 1 is older than this replica's 2: it was replaced, and its stream is refused", error);
    }
}
