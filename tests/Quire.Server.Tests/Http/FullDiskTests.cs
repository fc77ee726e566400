using System.Diagnostics;
using System.Globalization;
using System.Net;
using Quire.Server.Tests.Resp;
using Quire.TestSupport;

namespace Quire.Server.Tests.Http;

/// <summary>
/// The data directory on a small filesystem of its own (a 24 MiB tmpfs mounted by the test,
/// which needs root, as CI has): filling it gives writers 507 (RESP <c>-ERR</c>) saying the
/// disk is full, reads go on, nothing acknowledged is lost, and after space is freed and
/// the server restarted it takes writes again.
/// </summary>
public sealed class FullDiskTests : IDisposable
{
    private readonly TempDirectory _data = new("quire-full-disk");

    public FullDiskTests()
    {
        var (code, output) = RedisTools.Run("mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", _data.Path);
        Assert.True(code == 0, $"mounting a small tmpfs for the data directory needs root: {output}");
    }

    public void Dispose()
    {
        RedisTools.Run("umount", "-l", _data.Path);
        _data.Dispose();
    }

    [Fact]
    public async Task A_full_disk_refuses_writes_with_507_keeps_reads_and_loses_nothing_acknowledged()
    {
        var filler = Path.Combine(_data.Path, "filler");
        await File.WriteAllBytesAsync(filler, new byte[6 * 1024 * 1024]);   // freed later, to make room
        var port = ServerProcess.FreePort();
        var respPort = ServerProcess.FreePort().ToString(CultureInfo.InvariantCulture);
        var acknowledged = new List<string>();
        using (var server = new ServerProcess(port, null, _data, "--resp2-port", respPort))
        {
            using var redis = new RespClient(int.Parse(respPort, CultureInfo.InvariantCulture));
            Assert.Equal("OK", redis.Call("SET", "before", "1"));
            Assert.Equal(HttpStatusCode.Created, (await server.SendAsync(HttpMethod.Post, "/v1/databases", """{"name": "t"}""")).Status);
            var text = new string('x', 100_000);
            var (status, body) = (HttpStatusCode.OK, default(System.Text.Json.JsonElement));
            for (var i = 0; i < 1000 && status == HttpStatusCode.OK; i++)
            {
                (status, body) = await server.SendAsync(HttpMethod.Post, "/v1/databases/t/put", $$$"""{"coll": "c", "id": "d{{{i}}}", "doc": {"text": "{{{text}}}"}}""");
                if (status == HttpStatusCode.OK)
                {
                    acknowledged.Add($"d{i}");
                }
            }

            Assert.Equal((HttpStatusCode)507, status);
            Assert.StartsWith("the disk is full", body.GetProperty("error").GetString(), StringComparison.Ordinal);
            Assert.InRange(acknowledged.Count, 20, 200);

            // Reads go on; more writes get the same answer, over either protocol.
            Assert.Equal(HttpStatusCode.OK, (await server.SendAsync(HttpMethod.Get, $"/v1/databases/t/docs/c/{acknowledged[^1]}")).Status);
            var (_, query) = await server.SendAsync(HttpMethod.Post, "/v1/databases/t/query", """{"nql": "FROM c GROUP BY text COUNT"}""");
            Assert.Equal(acknowledged.Count, query.GetProperty("rows")[0].GetProperty("count").GetInt32());
            Assert.Equal((HttpStatusCode)507, (await server.SendAsync(HttpMethod.Post, "/v1/databases/t/put", """{"coll": "c", "id": "small", "doc": {}}""")).Status);
            var reply = "OK";
            for (var i = 0; i < 50 && reply == "OK"; i++)
            {
                reply = redis.Call("SET", $"after{i}", new string('y', 1_000_000));   // its database's log had room of its own, until it fills
            }

            Assert.StartsWith("-ERR the disk is full", reply, StringComparison.Ordinal);
            Assert.Equal("1", redis.Call("GET", "before"));

            await WaitForAsync(() => server.Output.Contains("storage failed (the disk is full)", StringComparison.Ordinal));
            Assert.DoesNotContain("   at ", server.Output, StringComparison.Ordinal);   // said in a line, no stack trace
            Assert.DoesNotContain("fail: Quire.Server.Http", server.Output, StringComparison.Ordinal);   // not a request's failure
            server.Kill();
        }

        File.Delete(filler);
        using (var server = new ServerProcess(port, null, _data))
        {
            foreach (var id in acknowledged)
            {
                Assert.Equal(HttpStatusCode.OK, (await server.SendAsync(HttpMethod.Get, $"/v1/databases/t/docs/c/{id}")).Status);
            }

            Assert.Equal(HttpStatusCode.OK, (await server.SendAsync(HttpMethod.Post, "/v1/databases/t/put", """{"coll": "c", "id": "small", "doc": {}}""")).Status);
        }
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        var clock = Stopwatch.StartNew();
        while (!condition() && clock.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(50);
        }

        Assert.True(condition(), "the server did not log the failure");
    }
}
