using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Quire.Server.Tests.Http;

/// <summary>
/// A client's mistakes are the client's: text that is not Unicode, a broken or oversized
/// chunked body, a write racing a drop of its database get a 4xx that says what was wrong,
/// change nothing, and leave no error in the server's log.
/// </summary>
public class BadRequestTests
{
    [Theory]
    [InlineData("""{"coll": "c", "id": "\ud800", "doc": {}}""")]
    [InlineData("""{"coll": "\udc00x", "id": "a", "doc": {}}""")]
    [InlineData("""{"coll": "c", "id": "a", "doc": {"\ud800": 1}}""")]
    [InlineData("""{"coll": "c", "id": "a", "doc": {"k": ["ok", "\ud83d"]}}""")]
    public async Task A_string_holding_half_a_surrogate_pair_is_a_400(string body)
    {
        using var server = new ServerProcess();
        await server.SendAsync(HttpMethod.Post, "/v1/databases", """{"name": "t"}""");
        var (status, error) = await server.SendAsync(HttpMethod.Post, "/v1/databases/t/put", body);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("half of a surrogate pair", error.GetProperty("error").GetString(), StringComparison.Ordinal);
        (status, error) = await server.SendAsync(HttpMethod.Post, "/v1/databases", """{"name": "\ud800"}""");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        (status, _) = await server.SendAsync(HttpMethod.Post, "/v1/databases/t/query", """{"nql": "FROM c WHERE x = '\ud800'"}""");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(-1, (await server.SendAsync(HttpMethod.Get, "/v1/databases/t/status")).Body.GetProperty("tip_seq").GetInt64());   // nothing written
        (status, _) = await server.SendAsync(HttpMethod.Post, "/v1/databases/t/put", """{"coll": "c", "id": "a", "doc": {"k": "\ud83d\ude00"}}""");
        Assert.Equal(HttpStatusCode.OK, status);   // a whole pair is text like any other
        Assert.DoesNotContain("fail:", server.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bytes_that_are_not_utf8_are_a_400()
    {
        using var server = new ServerProcess();
        await server.SendAsync(HttpMethod.Post, "/v1/databases", """{"name": "t"}""");
        using var content = new ByteArrayContent([.. "{\"coll\": \"c\", \"id\": \""u8.ToArray(), 0xFF, 0xFE, .. "\", \"doc\": {}}"u8.ToArray()]);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        using var response = await server.Http.PostAsync("/v1/databases/t/put", content);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("not UTF-8", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.DoesNotContain("fail:", server.Output, StringComparison.Ordinal);
    }

    private static async Task<string> RawAsync(int port, byte[] request)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        var stream = client.GetStream();
        try
        {
            await stream.WriteAsync(request);
        }
        catch (IOException)
        {
            // The server answered and closed before taking it all (a body too large).
        }

        var answer = new MemoryStream();
        var buffer = new byte[4096];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer, timeout.Token)) > 0 && !Encoding.ASCII.GetString(answer.ToArray()).Contains("\"}", StringComparison.Ordinal))
            {
                answer.Write(buffer, 0, read);
            }
        }
        catch (IOException)
        {
            // Closed after the answer.
        }

        return Encoding.ASCII.GetString(answer.ToArray());
    }

    [Fact]
    public async Task A_bad_chunk_size_is_a_400_and_an_oversized_chunked_body_a_413()
    {
        using var server = new ServerProcess(null, null, "--max-body-bytes", "100000");
        await server.SendAsync(HttpMethod.Post, "/v1/databases", """{"name": "t"}""");
        const string Head = "POST /v1/databases/t/put HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n";
        var bad = await RawAsync(server.Port, Encoding.ASCII.GetBytes(Head + "ZZZ\r\nabc\r\n0\r\n\r\n"));
        Assert.StartsWith("HTTP/1.1 400", bad, StringComparison.Ordinal);
        Assert.Contains("chunk", bad, StringComparison.OrdinalIgnoreCase);

        var body = "{\"coll\": \"c\", \"id\": \"x\", \"doc\": {\"p\": \"" + new string('x', 300_000) + "\"}}";
        var large = await RawAsync(server.Port, Encoding.ASCII.GetBytes($"{Head}{body.Length:x}\r\n{body}\r\n0\r\n\r\n"));
        Assert.StartsWith("HTTP/1.1 413", large, StringComparison.Ordinal);
        Assert.Equal(-1, (await server.SendAsync(HttpMethod.Get, "/v1/databases/t/status")).Body.GetProperty("tip_seq").GetInt64());
        Assert.DoesNotContain("fail:", server.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Writes_racing_a_drop_of_their_database_get_a_4xx_never_a_500()
    {
        using var server = new ServerProcess();
        var statuses = new System.Collections.Concurrent.ConcurrentBag<HttpStatusCode>();
        for (var round = 0; round < 30; round++)
        {
            await server.SendAsync(HttpMethod.Post, "/v1/databases", """{"name": "racy"}""");
            var writers = Enumerable.Range(0, 8).Select(async w =>
            {
                for (var i = 0; i < 20; i++)
                {
                    statuses.Add((await server.SendAsync(HttpMethod.Post, "/v1/databases/racy/put", $$$"""{"coll": "c", "id": "d{{{w}}}-{{{i}}}", "doc": {}}""")).Status);
                }
            }).ToArray();
            await Task.Delay(5 + round);
            await server.SendAsync(HttpMethod.Delete, "/v1/databases/racy");
            await Task.WhenAll(writers);
        }

        Assert.DoesNotContain(HttpStatusCode.InternalServerError, statuses);
        Assert.Contains(HttpStatusCode.OK, statuses);
        Assert.DoesNotContain("fail:", server.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Creating_a_database_past_max_databases_is_a_409_and_makes_nothing()
    {
        using var server = new ServerProcess(null, null, "--max-databases", "2");
        Assert.Equal(HttpStatusCode.Created, (await server.SendAsync(HttpMethod.Post, "/v1/databases", """{"name": "a"}""")).Status);
        Assert.Equal(HttpStatusCode.Created, (await server.SendAsync(HttpMethod.Post, "/v1/databases", """{"name": "b"}""")).Status);
        var (status, body) = await server.SendAsync(HttpMethod.Post, "/v1/databases", """{"name": "c"}""");
        Assert.Equal(HttpStatusCode.Conflict, status);
        Assert.Contains("--max-databases", body.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await server.SendAsync(HttpMethod.Get, "/v1/databases/c")).Status);
        await server.SendAsync(HttpMethod.Delete, "/v1/databases/a");
        Assert.Equal(HttpStatusCode.Created, (await server.SendAsync(HttpMethod.Post, "/v1/databases", """{"name": "c"}""")).Status);
    }

    [Fact]
    public async Task The_detail_says_whether_each_index_is_ready()
    {
        using var server = new ServerProcess();
        await server.SendAsync(HttpMethod.Post, "/v1/databases", """{"name": "shop", "init": {"indexes": [["users", "age"]]}}""");
        var (status, detail) = await server.SendAsync(HttpMethod.Get, "/v1/databases/shop");
        Assert.Equal(HttpStatusCode.OK, status);
        var build = Assert.Single(detail.GetProperty("index_builds").EnumerateArray());
        Assert.Equal("users", build.GetProperty("collection").GetString());
        Assert.Equal("age", build.GetProperty("field").GetString());
        Assert.True(build.GetProperty("ready").GetBoolean());
        Assert.False(build.TryGetProperty("error", out _));
    }
}
