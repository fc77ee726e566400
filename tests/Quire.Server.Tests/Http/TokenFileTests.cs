using System.Net;
using System.Net.Http.Headers;
using Quire.TestSupport;

namespace Quire.Server.Tests.Http;

/// <summary>A token file: tokens that only read, or reach only some databases, alongside the full one.</summary>
public class TokenFileTests
{
    private static async Task<(HttpStatusCode Status, string Body)> AsAsync(ServerProcess server, string? token, HttpMethod method, string path, string? json = null)
    {
        using var client = new HttpClient { BaseAddress = server.Http.BaseAddress };
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        using var request = new HttpRequestMessage(method, path) { Content = json is null ? null : new StringContent(json) };
        using var response = await client.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Read_only_and_per_database_tokens_reach_what_the_file_says_and_nothing_more()
    {
        using var dir = new TempDirectory("quire-tokens");
        var file = Path.Combine(dir.Path, "tokens.json");
        await File.WriteAllTextAsync(file, """
            {"tokens": [
              {"token": "reader", "access": "read"},
              {"token": "shopper", "databases": ["shop"]},
              {"token": "shop-reader", "access": "read", "databases": ["shop"]}
            ]}
            """);
        var port = ServerProcess.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture);
        using var server = new ServerProcess(ServerProcess.FreePort(), "admin", null, "--token-file", file, "--resp2-port", port);
        Assert.Equal(HttpStatusCode.Created, (await AsAsync(server, "admin", HttpMethod.Post, "/v1/databases", """{"name": "shop"}""")).Status);
        Assert.Equal(HttpStatusCode.Created, (await AsAsync(server, "admin", HttpMethod.Post, "/v1/databases", """{"name": "books"}""")).Status);
        const string Put = """{"coll": "c", "id": "a", "doc": {"n": 1}}""";
        const string Query = """{"nql": "FROM c"}""";

        // Read-only: reads everywhere, writes nowhere.
        Assert.Equal(HttpStatusCode.OK, (await AsAsync(server, "reader", HttpMethod.Post, "/v1/databases/books/query", Query)).Status);
        var (status, body) = await AsAsync(server, "reader", HttpMethod.Post, "/v1/databases/books/put", Put);
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Contains("this token is read-only", body, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, (await AsAsync(server, "reader", HttpMethod.Post, "/v1/databases", """{"name": "mine"}""")).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await AsAsync(server, "reader", HttpMethod.Delete, "/v1/databases/books")).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await AsAsync(server, "reader", HttpMethod.Get, "/events")).Status);

        // Per database: writes its own, sees nothing of the others, not even their names.
        Assert.Equal(HttpStatusCode.OK, (await AsAsync(server, "shopper", HttpMethod.Post, "/v1/databases/shop/put", Put)).Status);
        (status, body) = await AsAsync(server, "shopper", HttpMethod.Post, "/v1/databases/books/put", Put);
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Contains("this token does not reach database books", body, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, (await AsAsync(server, "shopper", HttpMethod.Get, "/v1/databases/books")).Status);
        (_, body) = await AsAsync(server, "shopper", HttpMethod.Get, "/v1/databases");
        Assert.Contains("\"shop\"", body, StringComparison.Ordinal);
        Assert.DoesNotContain("books", body, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, (await AsAsync(server, "shop-reader", HttpMethod.Post, "/v1/databases/shop/put", Put)).Status);
        Assert.Equal(HttpStatusCode.OK, (await AsAsync(server, "shop-reader", HttpMethod.Get, "/v1/databases/shop/docs/c/a")).Status);

        // No token, or one the server does not have: 401; nothing was written by the refused.
        Assert.Equal(HttpStatusCode.Unauthorized, (await AsAsync(server, null, HttpMethod.Get, "/v1/databases")).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await AsAsync(server, "guess", HttpMethod.Get, "/v1/databases")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await AsAsync(server, "admin", HttpMethod.Get, "/v1/databases/books/docs/c/a")).Status);

        // The Redis port takes full tokens only.
        using var redis = new Resp.RespClient(int.Parse(port, System.Globalization.CultureInfo.InvariantCulture));
        Assert.StartsWith("-WRONGPASS", redis.Call("AUTH", "reader"), StringComparison.Ordinal);
        Assert.StartsWith("-NOAUTH", redis.Call("GET", "k"), StringComparison.Ordinal);
        Assert.Equal("OK", redis.Call("AUTH", "admin"));
    }

    [Fact]
    public void A_token_file_that_cannot_be_read_stops_start_up_with_a_message()
    {
        using var dir = new TempDirectory("quire-tokens");
        var file = Path.Combine(dir.Path, "tokens.json");
        File.WriteAllText(file, """{"tokens": [{"token": "t", "access": "admin"}]}""");
        var (code, output) = Resp.RedisTools.Run("dotnet", ServerProcess.CliPath(), "serve", "--port", ServerProcess.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture), "--token-file", file);
        Assert.Equal(2, code);
        Assert.Contains("access must be \"read\" or \"write\", not \"admin\"", output, StringComparison.Ordinal);
        (code, output) = Resp.RedisTools.Run("dotnet", ServerProcess.CliPath(), "serve", "--token-file", Path.Combine(dir.Path, "missing.json"));
        Assert.Equal(2, code);
        Assert.Contains("does not exist", output, StringComparison.Ordinal);
    }
}
