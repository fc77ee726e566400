using System.Net;

namespace Quire.Server.Tests.Http;

/// <summary>
/// Large answers are sent as they are read and bounded: past <c>--max-response-bytes</c> a
/// query or <c>/log</c> ends early, marked truncated, or is a 413 when nothing was sent yet;
/// a query past <c>--query-timeout-ms</c> is stopped.
/// </summary>
public class ResponseLimitTests
{
    private static readonly string Filler = new('x', 100_000);

    private static async Task PutLargeDocumentsAsync(ServerProcess server, int count)
    {
        Assert.Equal(HttpStatusCode.Created, (await server.SendAsync(HttpMethod.Post, "/v1/databases", """{"name": "t"}""")).Status);
        for (var i = 0; i < count; i++)
        {
            var (status, _) = await server.SendAsync(HttpMethod.Post, "/v1/databases/t/put", $$$"""{"coll": "c", "id": "d{{{i:D3}}}", "doc": {"n": {{{i}}}, "text": "{{{Filler}}}"}}""");
            Assert.Equal(HttpStatusCode.OK, status);
        }
    }

    [Fact]
    public async Task A_query_past_the_size_limit_ends_early_marked_truncated_or_is_a_413_before_any_row()
    {
        using var server = new ServerProcess(null, null, "--max-response-bytes", "1000000");
        await PutLargeDocumentsAsync(server, 30);   // 3 MB of rows

        var (status, body) = await server.SendAsync(HttpMethod.Post, "/v1/databases/t/query", """{"nql": "FROM c"}""");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.True(body.GetProperty("truncated").GetBoolean());
        Assert.Contains("LIMIT", body.GetProperty("error").GetString(), StringComparison.Ordinal);
        var rows = body.GetProperty("rows").GetArrayLength();
        Assert.InRange(rows, 1, 9);   // what fits in 1 MB, in order
        Assert.Equal(rows, body.GetProperty("count").GetInt32());
        Assert.Equal("d000", body.GetProperty("rows")[0].GetProperty("_id").GetString());
        Assert.Equal(30, body.GetProperty("seq").GetInt64() + 1);

        (status, body) = await server.SendAsync(HttpMethod.Post, "/v1/databases/t/query", """{"nql": "FROM c LIMIT 5"}""");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(5, body.GetProperty("count").GetInt32());
        Assert.False(body.TryGetProperty("truncated", out _));

        (status, body) = await server.SendAsync(HttpMethod.Get, "/v1/databases/t/log?limit=0");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.True(body.GetProperty("truncated").GetBoolean());
        Assert.InRange(body.GetProperty("log").GetArrayLength(), 1, 29);
        Assert.Equal(29, body.GetProperty("seq").GetInt64());
        Assert.DoesNotContain("fail:", server.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_response_that_passes_the_limit_before_anything_was_sent_is_a_413()
    {
        using var server = new ServerProcess(null, null, "--max-response-bytes", "50000");
        await PutLargeDocumentsAsync(server, 2);
        var (status, body) = await server.SendAsync(HttpMethod.Post, "/v1/databases/t/query", """{"nql": "FROM c"}""");
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Contains("--max-response-bytes", body.GetProperty("error").GetString(), StringComparison.Ordinal);
        (status, _) = await server.SendAsync(HttpMethod.Get, "/v1/databases/t/log");
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        (status, body) = await server.SendAsync(HttpMethod.Post, "/v1/databases/t/query", """{"nql": "FROM c GROUP BY n COUNT"}""");
        Assert.Equal(HttpStatusCode.OK, status);   // small answers of a large collection are not affected
        Assert.Equal(2, body.GetProperty("count").GetInt32());
    }

    [Fact]
    public async Task A_query_past_the_time_limit_is_stopped_with_a_503()
    {
        using var server = new ServerProcess(null, null, "--query-timeout-ms", "1");
        Assert.Equal(HttpStatusCode.Created, (await server.SendAsync(HttpMethod.Post, "/v1/databases", """{"name": "t"}""")).Status);
        for (var batch = 0; batch < 10; batch++)
        {
            var ops = string.Join(",", Enumerable.Range(batch * 5000, 5000).Select(i => $$$"""{"op": "put", "coll": "c", "id": "d{{{i}}}", "doc": {"n": {{{i}}}}}"""));
            Assert.Equal(HttpStatusCode.OK, (await server.SendAsync(HttpMethod.Post, "/v1/databases/t/batch", $$"""{"ops": [{{ops}}]}""")).Status);
        }

        // 50,000 documents read and sorted by an unindexed field: far more than a millisecond.
        var (status, body) = await server.SendAsync(HttpMethod.Post, "/v1/databases/t/query", """{"nql": "FROM c ORDER BY n DESC"}""");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Contains("--query-timeout-ms", body.GetProperty("error").GetString(), StringComparison.Ordinal);
        (status, body) = await server.SendAsync(HttpMethod.Get, "/v1/databases/t/status");
        Assert.Equal(HttpStatusCode.OK, status);   // the server goes on (a limit of 1 ms would stop even a point read on a busy machine)
        Assert.Equal(49_999, body.GetProperty("tip_seq").GetInt64());
        Assert.DoesNotContain("fail:", server.Output, StringComparison.Ordinal);
    }
}
