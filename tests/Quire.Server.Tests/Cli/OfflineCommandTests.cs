using System.Net;
using System.Text.Json;
using Quire.TestSupport;

namespace Quire.Server.Tests.Cli;

/// <summary><c>quire verify</c> and <c>quire stats</c> with <c>--data</c>: straight on a data directory no server holds.</summary>
public class OfflineCommandTests
{
    [Fact]
    public async Task Verify_and_stats_read_a_stopped_servers_directory_and_a_damaged_page_fails_verify()
    {
        using var data = new TempDirectory("quire-offline");
        using (var server = new ServerProcess(null, data))
        {
            Assert.Equal(HttpStatusCode.Created, (await server.SendAsync(HttpMethod.Post, "/v1/databases", """{"name":"shop"}""")).Status);
            await server.SendAsync(HttpMethod.Post, "/v1/databases/shop/index", """{"coll":"users","field":"age","kind":"sorted"}""");
            var ops = string.Join(",", Enumerable.Range(0, 2000).Select(i => $$$"""{"op":"put","coll":"users","id":"u{{{i:D4}}}","doc":{"age":{{{i % 90}}},"bio":"{{{new string('b', 200)}}}"}}"""));
            Assert.Equal(HttpStatusCode.OK, (await server.SendAsync(HttpMethod.Post, "/v1/databases/shop/batch", $$"""{"ops":[{{ops}}]}""")).Status);

            var held = QuireCli.Run("verify", "shop", "--data", data.Path);
            Assert.Equal(1, held.Code);
            Assert.Contains("open in a running server", held.Error, StringComparison.Ordinal);
            Assert.Equal(0, server.Terminate());
        }

        var verify = QuireCli.Run("verify", "shop", "--data", data.Path, "--json");
        Assert.True(verify.Code == 0, verify.Error);
        var answer = JsonDocument.Parse(verify.Out).RootElement;
        Assert.True(answer.GetProperty("ok").GetBoolean());
        Assert.True(answer.GetProperty("entries").GetInt64() > 4000);   // documents, index entries and op log

        var stats = QuireCli.Run("stats", "shop", "--data", data.Path, "--json");
        Assert.True(stats.Code == 0, stats.Error);
        var detail = JsonDocument.Parse(stats.Out).RootElement;
        Assert.Equal(2000, detail.GetProperty("collections").GetProperty("users").GetInt64());
        Assert.True(detail.GetProperty("index_builds")[0].GetProperty("ready").GetBoolean());
        Assert.True(detail.GetProperty("storage").GetProperty("tree_depth").GetInt32() >= 2);
        Assert.True(detail.GetProperty("storage").GetProperty("data_file_bytes").GetInt64() > 8192 * 10);

        // A byte changed in the middle of a page of the data file: verify reads every page and says which.
        var file = Path.Combine(data.Path, "shop", "quire.db");
        var bytes = await File.ReadAllBytesAsync(file);
        var pages = bytes.Length / 8192;
        for (var page = 3; page < pages; page++)
        {
            bytes[(page * 8192) + 5000] ^= 0x40;
        }

        await File.WriteAllBytesAsync(file, bytes);
        var damaged = QuireCli.Run("verify", "shop", "--data", data.Path);
        Assert.Equal(1, damaged.Code);
        Assert.Contains("fails its checksum", damaged.Out + damaged.Error, StringComparison.Ordinal);
    }
}
