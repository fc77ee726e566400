using System.Net;

namespace Quire.Server.Tests.ObjectStore;

/// <summary>
/// <c>--bootstrap-from</c>: a replica makes its databases from the primary's archive in the
/// bucket instead of from a copy of the primary's, then follows the primary from the
/// archive's end, and ends equal to it.
/// </summary>
[Collection("rgw")]
public class ArchiveBootstrapTests(RadosGateway gateway)
{
    [Fact]
    public async Task A_replica_bootstraps_from_the_bucket_then_follows_the_primary_and_ends_equal()
    {
        var bucket = $"boot-{Guid.NewGuid():N}"[..20];
        var env = new Dictionary<string, string>(RadosGateway.Environment);
        var endpoint = new[] { "--s3-endpoint", gateway.Endpoint.ToString() };
        var primaryPort = ServerProcess.FreePort();
        using var primary = new ServerProcess(primaryPort, null, null, env, ["--archive", $"s3://{bucket}/p", "--archive-interval-ms", "100", .. endpoint]);
        Assert.Equal(HttpStatusCode.Created, (await primary.SendAsync(HttpMethod.Post, "/v1/databases", """{"name":"shop"}""")).Status);
        await WriteAsync(primary, 0, 40);
        await Until(async () => await ArchivedSeqAsync(primary) >= (await StateAsync(primary)).Seq, "the primary archived its writes");

        using var replica = new ServerProcess(ServerProcess.FreePort(), null, null, env, ["--replica-of", $"http://127.0.0.1:{primaryPort}", "--bootstrap-from", $"s3://{bucket}/p", "--log-level", "Information", .. endpoint]);
        await WriteAsync(primary, 40, 50);   // after the archive's end, perhaps: the replica takes these from the primary's log
        var want = await StateAsync(primary);
        await Until(async () => (await replica.SendAsync(HttpMethod.Get, "/v1/databases/shop")).Status == HttpStatusCode.OK && await StateAsync(replica) == want, "the replica caught up");

        Assert.True(replica.Printed("made from the archive at s3://"), replica.Output);
        var metrics = await replica.Http.GetStringAsync("/metrics");
        Assert.Contains("quire_server_replica_archive_bootstraps{db=\"shop\"} 1", metrics, StringComparison.Ordinal);
        Assert.Contains("quire_server_replica_copies{db=\"shop\"} 0", metrics, StringComparison.Ordinal);   // nothing copied from the primary

        await WriteAsync(primary, 50, 55);
        want = await StateAsync(primary);
        await Until(async () => await StateAsync(replica) == want, "the replica follows the primary");
    }

    [Fact]
    public async Task A_replica_whose_bucket_has_no_archive_copies_from_the_primary()
    {
        using var empty = await gateway.NewBucketAsync();
        var env = new Dictionary<string, string>(RadosGateway.Environment);
        var primaryPort = ServerProcess.FreePort();
        using var primary = new ServerProcess(primaryPort, null, null);
        Assert.Equal(HttpStatusCode.Created, (await primary.SendAsync(HttpMethod.Post, "/v1/databases", """{"name":"shop"}""")).Status);
        await WriteAsync(primary, 0, 10);
        using var replica = new ServerProcess(ServerProcess.FreePort(), null, null, env, ["--replica-of", $"http://127.0.0.1:{primaryPort}", "--bootstrap-from", $"s3://{empty.Bucket}/p", "--s3-endpoint", gateway.Endpoint.ToString()]);
        var want = await StateAsync(primary);
        await Until(async () => (await replica.SendAsync(HttpMethod.Get, "/v1/databases/shop")).Status == HttpStatusCode.OK && await StateAsync(replica) == want, "the replica caught up");
        Assert.True(replica.Printed("has no shop; copying it from the primary"), replica.Output);
    }

    private static async Task WriteAsync(ServerProcess primary, int from, int to)
    {
        for (var i = from; i < to; i++)
        {
            var (status, _) = await primary.SendAsync(HttpMethod.Post, "/v1/databases/shop/batch", $$$"""{"ops": [{"op": "put", "coll": "c", "id": "d{{{i}}}", "doc": {"i": {{{i}}}}}, {"op": "put", "coll": "c", "id": "e{{{i % 7}}}", "doc": {"last": {{{i}}}}}]}""");
            Assert.Equal(HttpStatusCode.OK, status);
        }
    }

    private static async Task<(long Seq, string Head, string Rows)> StateAsync(ServerProcess server)
    {
        var (status, body) = await server.SendAsync(HttpMethod.Post, "/v1/databases/shop/query", """{"nql": "FROM c"}""");
        Assert.Equal(HttpStatusCode.OK, status);
        return (body.GetProperty("seq").GetInt64(), body.GetProperty("head").GetString()!, body.GetProperty("rows").GetRawText());
    }

    private static async Task<long> ArchivedSeqAsync(ServerProcess server) =>
        (await server.SendAsync(HttpMethod.Get, "/health")).Body.GetProperty("archive").GetProperty("databases").TryGetProperty("shop", out var shop)
            ? shop.GetProperty("seq").GetInt64()
            : -1;

    private static async Task Until(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out: {what}");
            await Task.Delay(50);
        }
    }
}
