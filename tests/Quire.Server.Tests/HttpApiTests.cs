using System.Diagnostics;
using System.Net;
using System.Text.Json;

namespace Quire.Server.Tests;

/// <summary>The real server process driven over HTTP/1.1 and h2c: every route, its errors, auth, and a clean stop.</summary>
public class HttpApiTests
{
    [Fact]
    public async Task Every_route_answers_as_the_nedbd_contract_says()
    {
        using var server = new ServerProcess();
        var health = await server.SendAsync(HttpMethod.Get, "/health");
        Assert.Equal(HttpStatusCode.OK, health.Status);
        Assert.True(health.Body.GetProperty("ok").GetBoolean());
        Assert.Equal("nedbd", health.Body.GetProperty("service").GetString());

        var created = await server.SendAsync(HttpMethod.Post, "/v1/databases", """
            {"name": "shop", "init": {"indexes": [["users", "status"], ["users", "age", "sorted"]],
             "seed": {"users": [{"_id": "u1", "status": "active", "age": 40}, {"id": "u2", "status": "active", "age": 25}, {"status": "gone", "age": 30}]},
             "links": [["users:u1", "invited", "users:u2"]]}}
            """);
        Assert.Equal(HttpStatusCode.Created, created.Status);
        Assert.Equal("shop", created.Body.GetProperty("database").GetProperty("name").GetString());
        Assert.Equal(HttpStatusCode.Conflict, (await server.SendAsync(HttpMethod.Post, "/v1/databases", """{"name": "shop"}""")).Status);
        Assert.Equal("name is required", (await server.SendAsync(HttpMethod.Post, "/v1/databases", "{}")).Body.GetProperty("error").GetString());
        Assert.Equal("invalid database name: 'bad name'", (await server.SendAsync(HttpMethod.Post, "/v1/databases", """{"name": "bad name"}""")).Body.GetProperty("error").GetString());
        Assert.Single((await server.SendAsync(HttpMethod.Get, "/v1/databases")).Body.GetProperty("databases").EnumerateArray());

        var detail = await server.SendAsync(HttpMethod.Get, "/v1/databases/shop");
        Assert.Equal(2, detail.Body.GetProperty("indexes").GetArrayLength());
        Assert.Equal("database not found: nope", (await server.SendAsync(HttpMethod.Get, "/v1/databases/nope")).Body.GetProperty("error").GetString());

        var query = await server.SendAsync(HttpMethod.Post, "/v1/databases/shop/query", """{"nql": "FROM users WHERE status = \"active\" ORDER BY age ASC"}""");
        Assert.Equal(["u2", "u1"], query.Body.GetProperty("rows").EnumerateArray().Select(r => r.GetProperty("_id").GetString()));
        Assert.Equal(2, query.Body.GetProperty("count").GetInt32());
        Assert.Equal("users-3", (await server.SendAsync(HttpMethod.Post, "/v1/databases/shop/query", """{"nql": "FROM users WHERE status = gone"}""")).Body.GetProperty("rows")[0].GetProperty("_id").GetString());
        Assert.Equal("nql is required", (await server.SendAsync(HttpMethod.Post, "/v1/databases/shop/query", "{}")).Body.GetProperty("error").GetString());
        Assert.StartsWith("NQL error: at column 1: expected FROM", (await server.SendAsync(HttpMethod.Post, "/v1/databases/shop/query", """{"nql": "SELECT"}""")).Body.GetProperty("error").GetString(), StringComparison.Ordinal);

        var put = await server.SendAsync(HttpMethod.Post, "/v1/databases/shop/put", """{"coll": "users", "id": "u9", "doc": {"status": "new"}}""");
        Assert.Equal(HttpStatusCode.OK, put.Status);
        var seq = put.Body.GetProperty("seq").GetInt64();
        Assert.Equal(seq, put.Body.GetProperty("doc").GetProperty("_seq").GetInt64());
        Assert.Equal(64, put.Body.GetProperty("head").GetString()!.Length);
        Assert.Equal("coll, id, and doc are required", (await server.SendAsync(HttpMethod.Post, "/v1/databases/shop/put", """{"coll": "users", "id": "x", "doc": [1]}""")).Body.GetProperty("error").GetString());

        var batch = await server.SendAsync(HttpMethod.Post, "/v1/databases/shop/batch", $$"""
            {"ops": [{"op": "put", "coll": "users", "id": "u9", "doc": {"status": "old"}, "if_seq": {{seq}}},
                     {"op": "link", "frm": "users:u9", "rel": "invited", "to": "users:u1"},
                     {"op": "del", "coll": "users", "id": "u2"}]}
            """);
        Assert.Equal(HttpStatusCode.OK, batch.Status);
        Assert.True(batch.Body.GetProperty("atomic").GetBoolean());
        Assert.Equal(3, batch.Body.GetProperty("count").GetInt32());
        Assert.Equal(seq + 3, batch.Body.GetProperty("seq").GetInt64());

        var conflict = await server.SendAsync(HttpMethod.Post, "/v1/databases/shop/batch", """{"ops": [{"op": "put", "coll": "users", "id": "zz", "doc": {}, "if_seq": 3}]}""");
        Assert.Equal(HttpStatusCode.Conflict, conflict.Status);
        Assert.Equal("precondition_failed", conflict.Body.GetProperty("error").GetString());
        Assert.Equal(JsonValueKind.Null, conflict.Body.GetProperty("failures")[0].GetProperty("actual").ValueKind);
        Assert.Equal("ops array is required", (await server.SendAsync(HttpMethod.Post, "/v1/databases/shop/batch", """{"ops": []}""")).Body.GetProperty("error").GetString());
        Assert.StartsWith("bad op", (await server.SendAsync(HttpMethod.Post, "/v1/databases/shop/batch", """{"ops": [{"op": "fly"}]}""")).Body.GetProperty("error").GetString(), StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.OK, (await server.SendAsync(HttpMethod.Post, "/v1/databases/shop/index", """{"coll": "users", "field": "tags", "kind": "tags"}""")).Status);
        Assert.Equal("coll and field are required", (await server.SendAsync(HttpMethod.Post, "/v1/databases/shop/index", """{"coll": "users"}""")).Body.GetProperty("error").GetString());
        Assert.StartsWith("unknown index kind", (await server.SendAsync(HttpMethod.Post, "/v1/databases/shop/index", """{"coll": "users", "field": "x", "kind": "fuzzy"}""")).Body.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.True((await server.SendAsync(HttpMethod.Post, "/v1/databases/shop/link", """{"frm": "a:1", "rel": "r", "to": "a:2"}""")).Body.GetProperty("ok").GetBoolean());
        Assert.Equal("frm, rel, and to are required", (await server.SendAsync(HttpMethod.Post, "/v1/databases/shop/link", """{"frm": "a:1"}""")).Body.GetProperty("error").GetString());
        Assert.True((await server.SendAsync(HttpMethod.Delete, "/v1/databases/shop/rows/users/u9")).Body.GetProperty("ok").GetBoolean());
        Assert.Equal(HttpStatusCode.NotFound, (await server.SendAsync(HttpMethod.Get, "/v1/databases/shop/docs/users/u9")).Status);
        Assert.Equal(40, (await server.SendAsync(HttpMethod.Get, "/v1/databases/shop/docs/users/u1")).Body.GetProperty("age").GetInt32());

        var verify = await server.SendAsync(HttpMethod.Get, "/v1/databases/shop/verify");
        Assert.True(verify.Body.GetProperty("ok").GetBoolean());
        var log = await server.SendAsync(HttpMethod.Get, "/v1/databases/shop/log?limit=2");
        Assert.Equal(2, log.Body.GetProperty("log").GetArrayLength());
        Assert.Equal(verify.Body.GetProperty("head").GetString(), log.Body.GetProperty("log")[0].GetProperty("hash").GetString());   // newest first
        Assert.True((await server.SendAsync(HttpMethod.Post, "/v1/databases/shop/checkpoint")).Body.GetProperty("ok").GetBoolean());
        Assert.Equal("full-scan", (await server.SendAsync(HttpMethod.Post, "/v1/databases/shop/explain", """{"nql": "FROM users WHERE x = 1"}""")).Body.GetProperty("plan").GetProperty("access").GetString());

        Assert.Equal("no such route", (await server.SendAsync(HttpMethod.Get, "/v2/whatever")).Body.GetProperty("error").GetString());
        Assert.Equal("invalid JSON body", (await server.SendAsync(HttpMethod.Post, "/v1/databases/shop/put", "{oops")).Body.GetProperty("error").GetString());
        Assert.True((await server.SendAsync(HttpMethod.Delete, "/v1/databases/shop")).Body.GetProperty("dropped").GetBoolean());
        Assert.False((await server.SendAsync(HttpMethod.Delete, "/v1/databases/shop")).Body.GetProperty("dropped").GetBoolean());
    }

    [Fact]
    public async Task The_routes_nedbd_v1_added_answer_with_its_shapes_and_errors()
    {
        using var server = new ServerProcess(extraArgs: ["--log-level", "1", "--sweep-s", "0"]);
        await server.SendAsync(HttpMethod.Post, "/v1/databases", """{"name": "v1", "init": {"indexes": [["c", "n", "sorted"]]}}""");
        var root = await server.SendAsync(HttpMethod.Get, "/");
        Assert.Equal(["v1"], root.Body.GetProperty("databases").EnumerateArray().Select(d => d.GetString()));
        Assert.False(root.Body.GetProperty("encrypted").GetBoolean());

        var put = await server.SendAsync(HttpMethod.Post, "/v1/databases/v1/batch", """{"ops": [{"op": "put", "coll": "c", "id": "a", "doc": {"n": 1}, "ttl_s": 0.05}, {"op": "put", "coll": "c", "id": "b", "doc": {"n": 2}}]}""");
        Assert.True(put.Body.GetProperty("results")[0].GetProperty("doc").GetProperty("_expires_at").GetDouble() > DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 5);
        await Task.Delay(200);
        var swept = await server.SendAsync(HttpMethod.Post, "/v1/databases/v1/sweep");
        Assert.Equal(1, swept.Body.GetProperty("swept").GetInt32());
        Assert.True(swept.Body.GetProperty("ok").GetBoolean());
        var summary = (await server.SendAsync(HttpMethod.Get, "/v1/databases")).Body.GetProperty("databases")[0];
        Assert.Equal(1, summary.GetProperty("rows").GetInt32());
        Assert.Equal(1, summary.GetProperty("collections").GetProperty("c").GetInt32());

        Assert.Equal("node and rel are required", (await server.SendAsync(HttpMethod.Post, "/v1/databases/v1/neighbors", """{"node": "c:a"}""")).Body.GetProperty("error").GetString());
        Assert.Equal("hash (64-char hex) is required", (await server.SendAsync(HttpMethod.Post, "/v1/databases/v1/proof", """{"hash": "abc"}""")).Body.GetProperty("error").GetString());
        Assert.Equal("hash must be 64-char hexadecimal", (await server.SendAsync(HttpMethod.Post, "/v1/databases/v1/proof", "{\"hash\": \"" + new string('g', 64) + "\"}")).Body.GetProperty("error").GetString());
        var missing = await server.SendAsync(HttpMethod.Post, "/v1/databases/v1/proof", "{\"hash\": \"" + new string('a', 64) + "\"}");
        Assert.Equal(HttpStatusCode.NotFound, missing.Status);
        Assert.Equal("collection and op are required", (await server.SendAsync(HttpMethod.Post, "/v1/databases/v1/mongo", """{"op": "find"}""")).Body.GetProperty("error").GetString());
        Assert.Equal("unknown mongo op: 'x'", (await server.SendAsync(HttpMethod.Post, "/v1/databases/v1/mongo", """{"collection": "c", "op": "x"}""")).Body.GetProperty("error").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, (await server.SendAsync(HttpMethod.Post, "/v1/databases/v1/put", """{"coll": "c", "id": "x", "doc": {}, "ttl_s": "soon"}""")).Status);

        var ranged = (await server.SendAsync(HttpMethod.Post, "/v1/databases/v1/explain", """{"nql": "FROM c WHERE n > 0"}""")).Body.GetProperty("plan");
        Assert.Equal("sorted-range", ranged.GetProperty("access").GetString());
        Assert.True(string.CompareOrdinal(ranged.GetProperty("key_range").GetProperty("from").GetString(), ranged.GetProperty("key_range").GetProperty("to").GetString()) < 0);   // the planner's bounds, shown
        var dropped = await server.SendAsync(HttpMethod.Delete, "/v1/databases/v1/index", """{"coll": "c", "field": "n"}""");
        Assert.Equal(1, dropped.Body.GetProperty("dropped").GetInt32());
        Assert.Equal("full-scan", (await server.SendAsync(HttpMethod.Post, "/v1/databases/v1/explain", """{"nql": "FROM c WHERE n > 0"}""")).Body.GetProperty("plan").GetProperty("access").GetString());
        Assert.Empty((await server.SendAsync(HttpMethod.Get, "/v1/databases/v1")).Body.GetProperty("indexes").EnumerateArray());
        Assert.Equal("coll and field are required", (await server.SendAsync(HttpMethod.Delete, "/v1/databases/v1/index", "{}")).Body.GetProperty("error").GetString());
        Assert.Contains("GET health 200", server.Output, StringComparison.Ordinal);   // --log-level 1 logs each request
    }

    [Fact]
    public async Task Files_are_versioned_with_a_merkle_root_and_a_size_limit()
    {
        using var server = new ServerProcess();
        await server.SendAsync(HttpMethod.Post, "/v1/databases", """{"name": "f"}""");
        var first = await server.SendAsync(HttpMethod.Post, "/v1/databases/f/files", """{"name": "a.txt", "data_b64": "aGVsbG8="}""");
        Assert.Equal(HttpStatusCode.Created, first.Status);
        Assert.Equal("324dcf027dd4a30a932c441f365a25e86b173defa4b8e58948253471b81b72cf", first.Body.GetProperty("root").GetString());   // nedb's root of "hello"
        Assert.Equal((0, 5, "warm"), (first.Body.GetProperty("version").GetInt32(), first.Body.GetProperty("size").GetInt32(), first.Body.GetProperty("tier").GetString()));
        Assert.Equal(1, (await server.SendAsync(HttpMethod.Post, "/v1/databases/f/files", """{"name": "a.txt", "data_b64": "aGVsbG8gYWdhaW4="}""")).Body.GetProperty("version").GetInt32());
        var latest = await server.SendAsync(HttpMethod.Get, "/v1/databases/f/files/a.txt");
        Assert.Equal(("aGVsbG8gYWdhaW4=", 1), (latest.Body.GetProperty("data_b64").GetString(), latest.Body.GetProperty("version").GetInt32()));
        Assert.Equal("aGVsbG8=", (await server.SendAsync(HttpMethod.Get, "/v1/databases/f/files/a.txt?version=0")).Body.GetProperty("data_b64").GetString());
        Assert.Equal(first.Body.GetProperty("root").GetString(), (await server.SendAsync(HttpMethod.Get, "/v1/databases/f/files/a.txt/root?version=0")).Body.GetProperty("root").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await server.SendAsync(HttpMethod.Get, "/v1/databases/f/files/a.txt?version=9")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await server.SendAsync(HttpMethod.Get, "/v1/databases/f/files/nope")).Status);
        Assert.Equal("name and data_b64 are required", (await server.SendAsync(HttpMethod.Post, "/v1/databases/f/files", """{"name": "x"}""")).Body.GetProperty("error").GetString());
        Assert.Equal("data_b64 is not base64", (await server.SendAsync(HttpMethod.Post, "/v1/databases/f/files", """{"name": "x", "data_b64": "%%%"}""")).Body.GetProperty("error").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, (await server.SendAsync(HttpMethod.Post, "/v1/databases/f/files", """{"name": "x", "data_b64": "", "tier": "hot"}""")).Status);
        var big = Convert.ToBase64String(new byte[(8 * 1024 * 1024) + 1]);
        var tooLarge = await server.SendAsync(HttpMethod.Post, "/v1/databases/f/files", "{\"name\": \"big\", \"data_b64\": \"" + big + "\"}");
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooLarge.Status);
        Assert.Contains("exceeds the limit", tooLarge.Body.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_v2_change_feed_routes_page_through_every_op_exactly_once()
    {
        using var server = new ServerProcess();
        await server.SendAsync(HttpMethod.Post, "/v1/databases", """{"name": "feed"}""");
        Assert.Equal(JsonValueKind.Null, (await server.SendAsync(HttpMethod.Get, "/v1/databases/feed/tip")).Body.GetProperty("tip").ValueKind);
        await server.SendAsync(HttpMethod.Post, "/v1/databases/feed/put", """{"coll": "a", "id": "1", "doc": {"v": 1}, "caused_by": [0], "valid_from": "2024-01-01"}""");
        await server.SendAsync(HttpMethod.Post, "/v1/databases/feed/batch", """{"ops": [{"op": "put", "coll": "b", "id": "2", "doc": {}}, {"op": "link", "frm": "a:1", "rel": "r", "to": "b:2"}, {"op": "del", "coll": "a", "id": "1"}]}""");

        var all = (await server.SendAsync(HttpMethod.Get, "/v1/databases/feed/since")).Body;
        Assert.Equal(4, all.GetProperty("count").GetInt32());
        Assert.Equal(JsonValueKind.Null, all.GetProperty("from_seq").ValueKind);
        Assert.Equal(0, all.GetProperty("nodes")[0].GetProperty("seq").GetInt64());   // seq 0 reachable
        Assert.Equal(["put", "put", "link", "del"], all.GetProperty("nodes").EnumerateArray().Select(n => n.GetProperty("op").GetString()));
        var first = all.GetProperty("nodes")[0];
        Assert.Equal(("1", "a", 1, 0), (first.GetProperty("id").GetString(), first.GetProperty("coll").GetString(), first.GetProperty("data").GetProperty("v").GetInt32(), first.GetProperty("caused_by")[0].GetInt32()));
        Assert.Equal("2024-01-01", first.GetProperty("valid_from").GetString());
        Assert.False(all.GetProperty("has_more").GetBoolean());

        var page = (await server.SendAsync(HttpMethod.Get, "/v1/databases/feed/since?after_seq=0&limit=2")).Body;
        Assert.Equal([1L, 2], page.GetProperty("nodes").EnumerateArray().Select(n => n.GetProperty("seq").GetInt64()));
        Assert.True(page.GetProperty("has_more").GetBoolean());
        Assert.Equal(2, page.GetProperty("to_seq").GetInt64());
        var rest = (await server.SendAsync(HttpMethod.Get, "/v1/databases/feed/since?after_seq=2&limit=2")).Body;
        Assert.Equal([3L], rest.GetProperty("nodes").EnumerateArray().Select(n => n.GetProperty("seq").GetInt64()));
        Assert.False(rest.GetProperty("has_more").GetBoolean());
        Assert.Equal(3, rest.GetProperty("head_seq").GetInt64());

        Assert.Equal("del", (await server.SendAsync(HttpMethod.Get, "/v1/databases/feed/tip")).Body.GetProperty("tip").GetProperty("op").GetString());
        var collectionTip = (await server.SendAsync(HttpMethod.Get, "/v1/databases/feed/collections/b/tip")).Body;
        Assert.Equal(("b", "2"), (collectionTip.GetProperty("coll").GetString(), collectionTip.GetProperty("tip").GetProperty("id").GetString()));
        var status = (await server.SendAsync(HttpMethod.Get, "/v1/databases/feed/status")).Body;
        Assert.True(status.GetProperty("scan_complete").GetBoolean());
        Assert.Equal((3, 0, 3, 4), (status.GetProperty("tip_seq").GetInt32(), status.GetProperty("indexed_seq_min").GetInt32(), status.GetProperty("indexed_seq_max").GetInt32(), status.GetProperty("indexed_count").GetInt32()));
        Assert.Equal("after_seq must be a non-negative integer", (await server.SendAsync(HttpMethod.Get, "/v1/databases/feed/since?after_seq=-4")).Body.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Queries_as_of_a_seq_read_the_past_and_the_status_says_how_far_back_they_reach()
    {
        using var server = new ServerProcess(null, null, "--history-retention", "8", "--sweep-s", "1");   // the background loop runs at the sweep's interval
        await server.SendAsync(HttpMethod.Post, "/v1/databases", """{"name": "past"}""");
        var seqs = new List<long>();
        for (var i = 0; i < 20; i++)
        {
            var put = await server.SendAsync(HttpMethod.Post, "/v1/databases/past/put", $$$"""{"coll": "c", "id": "x", "doc": {"n": {{{i}}}}}""");
            seqs.Add(put.Body.GetProperty("seq").GetInt64());
        }

        // The background loop moves the floor to 8 ops back (it runs every second).
        long floor = 0;
        for (var tries = 0; tries < 100 && floor == 0; tries++)
        {
            await Task.Delay(100);
            floor = (await server.SendAsync(HttpMethod.Get, "/v1/databases/past/status")).Body.GetProperty("as_of_seq_min").GetInt64();
        }

        Assert.Equal(seqs[^1] - 8, floor);
        var then = await server.SendAsync(HttpMethod.Post, "/v1/databases/past/query", $$"""{"nql": "FROM c AS OF {{seqs[15]}}"}""");
        Assert.Equal(HttpStatusCode.OK, then.Status);
        Assert.Equal(15, then.Body.GetProperty("rows")[0].GetProperty("n").GetInt32());
        Assert.Equal(seqs[15], then.Body.GetProperty("seq").GetInt64());

        var gone = await server.SendAsync(HttpMethod.Post, "/v1/databases/past/query", $$"""{"nql": "FROM c AS OF {{seqs[2]}}"}""");
        Assert.Equal(HttpStatusCode.BadRequest, gone.Status);
        Assert.Contains($"the history kept starts at seq {floor}", gone.Body.GetProperty("error").GetString(), StringComparison.Ordinal);
        var ahead = await server.SendAsync(HttpMethod.Post, "/v1/databases/past/query", """{"nql": "FROM c AS OF 1000"}""");
        Assert.Equal(HttpStatusCode.BadRequest, ahead.Status);
        Assert.Contains("last seq is", ahead.Body.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_changes_stream_drains_then_stays_live_and_resumes_from_last_event_id()
    {
        using var server = new ServerProcess();
        await server.SendAsync(HttpMethod.Post, "/v1/databases", """{"name": "s"}""");
        for (var i = 0; i < 20; i++)
        {
            await server.SendAsync(HttpMethod.Post, "/v1/databases/s/put", "{\"coll\": \"c\", \"id\": \"h" + i + "\", \"doc\": {}}");
        }

        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var first = await ReadEventsAsync(server, "/v1/databases/s/changes?after_seq=4", lastEventId: null, count: 15 + 60, afterStart: async () =>
        {
            await Task.WhenAll(Enumerable.Range(0, 3).Select(w => Task.Run(async () =>
            {
                for (var i = 0; i < 20; i++)
                {
                    await server.SendAsync(HttpMethod.Post, "/v1/databases/s/put", "{\"coll\": \"c\", \"id\": \"w" + w + "-" + i + "\", \"doc\": {}}");
                }
            })));
        }, stop.Token);
        Assert.Equal(Enumerable.Range(5, 75).Select(i => (long)i), first);   // history 5..19, then the 60 live puts, each once

        var resumed = await ReadEventsAsync(server, "/v1/databases/s/changes", lastEventId: 70, count: 9, afterStart: () => Task.CompletedTask, stop.Token);
        Assert.Equal(Enumerable.Range(71, 9).Select(i => (long)i), resumed);
        Assert.Equal(HttpStatusCode.BadRequest, (await server.SendAsync(HttpMethod.Get, "/v1/databases/s/changes?after_seq=x")).Status);
    }

    [Fact]
    public async Task A_subscription_sends_its_result_then_each_changed_result_until_deleted()
    {
        using var server = new ServerProcess();
        await server.SendAsync(HttpMethod.Post, "/v1/databases", """{"name": "live"}""");
        await server.SendAsync(HttpMethod.Post, "/v1/databases/live/put", """{"coll": "c", "id": "a", "doc": {"n": 9}}""");
        Assert.Equal(HttpStatusCode.BadRequest, (await server.SendAsync(HttpMethod.Post, "/v1/databases/live/subscribe", """{"nql": "FROM"}""")).Status);

        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/databases/live/subscribe") { Content = new StringContent("""{"nql": "FROM c WHERE n > 5"}""") };
        using var response = await server.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, stop.Token);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(stop.Token));
        async Task<JsonElement> NextAsync()
        {
            while (await reader.ReadLineAsync(stop.Token) is { } line)
            {
                if (line.StartsWith("data: ", StringComparison.Ordinal))
                {
                    return JsonDocument.Parse(line[6..]).RootElement;
                }
            }

            throw new EndOfStreamException();
        }

        var initial = await NextAsync();
        Assert.Equal(("initial", 1, "live"), (initial.GetProperty("event").GetString(), initial.GetProperty("count").GetInt32(), initial.GetProperty("db").GetString()));
        var id = initial.GetProperty("sub_id").GetString()!;

        await server.SendAsync(HttpMethod.Post, "/v1/databases/live/put", """{"coll": "other", "id": "x", "doc": {"n": 50}}""");   // another collection: not re-run
        await server.SendAsync(HttpMethod.Post, "/v1/databases/live/put", """{"coll": "c", "id": "b", "doc": {"n": 1}}""");       // re-run, same result: not sent
        await server.SendAsync(HttpMethod.Post, "/v1/databases/live/put", """{"coll": "c", "id": "c", "doc": {"n": 7}}""");
        var changed = await NextAsync();   // the first event after the initial one: an unchanged result is never sent
        Assert.False(changed.TryGetProperty("event", out _));
        Assert.Equal(["a", "c"], changed.GetProperty("rows").EnumerateArray().Select(r => r.GetProperty("_id").GetString()));
        Assert.Equal(id, changed.GetProperty("sub_id").GetString());

        Assert.True((await server.SendAsync(HttpMethod.Delete, $"/v1/databases/live/subscribe/{id}")).Body.GetProperty("ok").GetBoolean());
        while (await reader.ReadLineAsync(stop.Token) is { } rest)   // the stream ends, with no other event
        {
            Assert.DoesNotContain("data:", rest, StringComparison.Ordinal);
        }

        Assert.Equal(HttpStatusCode.NotFound, (await server.SendAsync(HttpMethod.Delete, $"/v1/databases/live/subscribe/{id}")).Status);
    }

    [Fact]
    public async Task A_flooded_subscriber_gets_ever_newer_results_ending_at_the_last_and_a_gone_one_is_forgotten()
    {
        using var server = new ServerProcess();
        await server.SendAsync(HttpMethod.Post, "/v1/databases", """{"name": "flood"}""");
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/databases/flood/subscribe") { Content = new StringContent("""{"nql": "FROM c GROUP BY k COUNT"}""") };
        using var response = await server.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, stop.Token);
        var reader = new StreamReader(await response.Content.ReadAsStreamAsync(stop.Token));
        async Task<JsonElement> NextAsync()
        {
            while (await reader.ReadLineAsync(stop.Token) is { } line)
            {
                if (line.StartsWith("data: ", StringComparison.Ordinal))
                {
                    return JsonDocument.Parse(line[6..]).RootElement;
                }
            }

            throw new EndOfStreamException();
        }

        var id = (await NextAsync()).GetProperty("sub_id").GetString()!;

        // 8 writers put 1,600 documents as fast as the server takes them: each commit changes the count.
        const int Writers = 8, PerWriter = 200;
        var writes = Task.WhenAll(Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < PerWriter; i++)
            {
                await server.SendAsync(HttpMethod.Post, "/v1/databases/flood/put", $$$"""{"coll": "c", "id": "{{{w}}}-{{{i}}}", "doc": {"k": 1}}""");
            }
        })));
        var counts = new List<int>();
        while (counts.Count == 0 || counts[^1] < Writers * PerWriter)
        {
            counts.Add((await NextAsync()).GetProperty("rows")[0].GetProperty("count").GetInt32());
        }

        await writes;
        Assert.Equal(counts.Order(), counts);               // never an older result after a newer one
        Assert.Equal(counts.Count, counts.Distinct().Count()); // never the same result twice
        Assert.Equal(Writers * PerWriter, counts[^1]);      // the last commit's result always arrives

        // A subscriber that goes away is forgotten.
        Assert.Contains("quire_server_subscriptions 1\n", await server.Http.GetStringAsync("/metrics", stop.Token), StringComparison.Ordinal);
        reader.Dispose();
        response.Dispose();
        var forgotten = false;
        for (var tries = 0; tries < 50 && !forgotten; tries++)
        {
            await server.SendAsync(HttpMethod.Post, "/v1/databases/flood/put", $$$"""{"coll": "c", "id": "after-{{{tries}}}", "doc": {"k": 1}}""");
            forgotten = (await server.Http.GetStringAsync("/metrics", stop.Token)).Contains("quire_server_subscriptions 0\n", StringComparison.Ordinal);
            await Task.Delay(100);
        }

        Assert.Equal(HttpStatusCode.NotFound, (await server.SendAsync(HttpMethod.Delete, $"/v1/databases/flood/subscribe/{id}")).Status);
        Assert.True(forgotten, "the subscription outlived its client by 5 s");
    }

    [Fact]
    public async Task A_subscriber_that_does_not_read_is_disconnected_not_buffered_for()
    {
        using var server = new ServerProcess(extraArgs: ["--slow-client-ms", "300"]);
        await server.SendAsync(HttpMethod.Post, "/v1/databases", """{"name": "slow"}""");
        using var socket = new System.Net.Sockets.TcpClient();
        await socket.ConnectAsync("127.0.0.1", server.Port);
        socket.ReceiveBufferSize = 4096;
        var stream = socket.GetStream();
        var body = """{"nql": "FROM big"}""";
        await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes($"POST /v1/databases/slow/subscribe HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {body.Length}\r\n\r\n{body}"));

        // Each put changes the result, which grows by 100 KB: a reader that never reads fills every buffer.
        var filler = new string('x', 100_000);
        for (var i = 0; i < 60; i++)
        {
            await server.SendAsync(HttpMethod.Post, "/v1/databases/slow/put", "{\"coll\": \"big\", \"id\": \"d" + i + "\", \"doc\": {\"pad\": \"" + filler + "\"}}");
        }

        // Dropped: draining what reached the socket ends (end of stream or a reset) instead of waiting for more.
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var chunk = new byte[1 << 16];
        try
        {
            while (await stream.ReadAsync(chunk, deadline.Token) > 0)
            {
            }
        }
        catch (IOException)
        {
            // Reset by the server: also a drop.
        }

        Assert.False(deadline.IsCancellationRequested, "the slow subscriber was still connected after 20 s");
        Assert.Equal(HttpStatusCode.OK, (await server.SendAsync(HttpMethod.Get, "/health")).Status);
    }

    [Fact]
    public async Task Events_stream_the_servers_log_lines()
    {
        using var server = new ServerProcess(extraArgs: ["--log-level", "1"]);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var response = await server.Http.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/events"), HttpCompletionOption.ResponseHeadersRead, stop.Token);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(stop.Token));
        var request = server.SendAsync(HttpMethod.Get, "/v1/databases/nope");
        while (await reader.ReadLineAsync(stop.Token) is { } line)
        {
            if (line.StartsWith("data: ", StringComparison.Ordinal) && JsonDocument.Parse(line[6..]).RootElement.GetString() is { } text && text.Contains("GET database 404", StringComparison.Ordinal))
            {
                break;
            }
        }

        Assert.Equal(HttpStatusCode.NotFound, (await request).Status);
        Assert.False(stop.IsCancellationRequested);
    }

    /// <summary>Reads the ids of the first <paramref name="count"/> <c>op</c> events of a changes stream.</summary>
    private static async Task<List<long>> ReadEventsAsync(ServerProcess server, string path, long? lastEventId, int count, Func<Task> afterStart, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (lastEventId is { } id)
        {
            request.Headers.Add("Last-Event-ID", id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        using var response = await server.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken));
        var writes = afterStart();
        var ids = new List<long>();
        long? pendingId = null;
        while (ids.Count < count && await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.StartsWith("id: ", StringComparison.Ordinal))
            {
                pendingId = long.Parse(line[4..], System.Globalization.CultureInfo.InvariantCulture);
            }
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                Assert.Equal(pendingId, JsonDocument.Parse(line[6..]).RootElement.GetProperty("seq").GetInt64());
                ids.Add(pendingId!.Value);
            }
        }

        await writes;
        return ids;
    }

    [Fact]
    public async Task The_bearer_token_guards_v1_routes_but_not_health()
    {
        using var server = new ServerProcess(token: "s3cret");
        using var anonymous = new HttpClient { BaseAddress = server.Http.BaseAddress };
        Assert.Equal(HttpStatusCode.OK, (await server.SendAsync(HttpMethod.Get, "/health", client: anonymous)).Status);
        var refused = await server.SendAsync(HttpMethod.Get, "/v1/databases", client: anonymous);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.Status);
        Assert.Equal("missing or invalid bearer token", refused.Body.GetProperty("error").GetString());
        Assert.Equal(HttpStatusCode.OK, (await server.SendAsync(HttpMethod.Get, "/v1/databases")).Status);
    }

    [Fact]
    public async Task Concurrent_streams_on_one_h2c_connection_share_commits()
    {
        using var server = new ServerProcess();
        await server.SendAsync(HttpMethod.Post, "/v1/databases", """{"name": "h2"}""");
        using var h2 = new HttpClient(new SocketsHttpHandler { EnableMultipleHttp2Connections = false })
        {
            BaseAddress = new Uri($"http://127.0.0.1:{server.H2cPort}"),
            DefaultRequestVersion = HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        var puts = Enumerable.Range(0, 64).Select(i => server.SendAsync(HttpMethod.Post, "/v1/databases/h2/put", "{\"coll\": \"c\", \"id\": \"d" + i + "\", \"doc\": {\"n\": " + i + "}}", h2));
        var results = await Task.WhenAll(puts);
        Assert.All(results, r => Assert.Equal(HttpStatusCode.OK, r.Status));
        var count = await server.SendAsync(HttpMethod.Post, "/v1/databases/h2/query", """{"nql": "FROM c GROUP BY x COUNT"}""", h2);
        Assert.Equal(64, count.Body.GetProperty("rows")[0].GetProperty("count").GetInt32());
    }

    [Fact]
    public async Task Sigterm_stops_cleanly_and_every_acknowledged_write_is_there_after_a_restart()
    {
        var data = new Quire.TestSupport.TempDirectory("quire-server");
        try
        {
            using (var server = new ServerProcess(data: data))
            {
                await server.SendAsync(HttpMethod.Post, "/v1/databases", """{"name": "d"}""");
                for (var i = 0; i < 20; i++)
                {
                    Assert.Equal(HttpStatusCode.OK, (await server.SendAsync(HttpMethod.Post, "/v1/databases/d/put", "{\"coll\": \"c\", \"id\": \"k" + i + "\", \"doc\": {\"n\": " + i + "}}")).Status);
                }

                Assert.Equal(0, server.Terminate());
            }

            using var restarted = new ServerProcess(data: data);
            var rows = await restarted.SendAsync(HttpMethod.Post, "/v1/databases/d/query", """{"nql": "FROM c"}""");
            Assert.Equal(20, rows.Body.GetProperty("count").GetInt32());
            Assert.True((await restarted.SendAsync(HttpMethod.Get, "/v1/databases/d/verify")).Body.GetProperty("ok").GetBoolean());
        }
        finally
        {
            data.Dispose();
        }
    }

    [Fact]
    public void Curl_over_http1_and_h2c_prior_knowledge_gets_the_same_answers()
    {
        using var server = new ServerProcess();
        Assert.Contains("\"service\":\"nedbd\"", Run("curl", "-s", $"http://127.0.0.1:{server.Port}/health"), StringComparison.Ordinal);
        Assert.Contains("\"service\":\"nedbd\"", Run("curl", "-s", "--http2-prior-knowledge", $"http://127.0.0.1:{server.H2cPort}/health"), StringComparison.Ordinal);
        var created = Run("curl", "-s", "-X", "POST", "-d", """{"name": "c1"}""", $"http://127.0.0.1:{server.Port}/v1/databases");
        Assert.Contains("\"name\":\"c1\"", created, StringComparison.Ordinal);
        var script = $$$"""
            import http.client, json
            c = http.client.HTTPConnection("127.0.0.1", {{{server.Port}}})
            c.request("POST", "/v1/databases/c1/put", json.dumps({"coll": "k", "id": "a", "doc": {"v": 1}}), {"Content-Type": "application/json"})
            r = c.getresponse(); body = json.loads(r.read())
            assert r.status == 200 and body["doc"]["v"] == 1, body
            c.request("POST", "/v1/databases/c1/query", json.dumps({"nql": "FROM k WHERE v = 1"}))
            r = c.getresponse(); body = json.loads(r.read())
            assert r.status == 200 and body["count"] == 1, body
            print("python ok")
            """;
        Assert.Contains("python ok", Run("python3", "-c", script), StringComparison.Ordinal);
    }

    private static string Run(string program, params string[] args)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{program} exited with {process.ExitCode}: {output}");
        return output;
    }
}
