using System.Globalization;
using StackExchange.Redis;

namespace Quire.Server.Tests.Resp;

/// <summary>
/// Hashes, sets, lists and transactions through StackExchange.Redis and a raw client: where
/// they live in the documents layer, RESP3's map and set replies, atomicity under concurrent
/// clients, and WATCH.
/// </summary>
public class RedisTypesTests
{
    private static async Task<ConnectionMultiplexer> ConnectAsync(int port, bool resp3 = false) =>
        await ConnectionMultiplexer.ConnectAsync(new ConfigurationOptions
        {
            EndPoints = { { "127.0.0.1", port } },
            Protocol = resp3 ? RedisProtocol.Resp3 : RedisProtocol.Resp2,
            AbortOnConnectFail = true,
            ConnectTimeout = 10_000,
            SyncTimeout = 10_000,
        });

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task The_dotnet_client_works_with_hashes_sets_and_lists(bool resp3)
    {
        using var server = RespServers.Start(out var port);
        await using var connection = await ConnectAsync(port, resp3);
        var db = connection.GetDatabase();

        await db.HashSetAsync("user:1", [new("name", "ada"), new("age", "36")]);
        Assert.Equal("ada", (string?)await db.HashGetAsync("user:1", "name"));
        Assert.Equal(37, await db.HashIncrementAsync("user:1", "age"));
        Assert.Equal(["age=37", "name=ada"], (await db.HashGetAllAsync("user:1")).Select(e => $"{e.Name}={e.Value}").Order());
        Assert.True(await db.HashDeleteAsync("user:1", "age"));
        Assert.Equal(1, await db.HashLengthAsync("user:1"));

        Assert.Equal(2, await db.SetAddAsync("tags", ["db", "c#", "db"]));
        Assert.True(await db.SetContainsAsync("tags", "c#"));
        Assert.Equal(["c#", "db"], (await db.SetMembersAsync("tags")).Select(v => (string)v!).Order());

        Assert.Equal(3, await db.ListRightPushAsync("queue", ["a", "b", "c"]));
        Assert.Equal(4, await db.ListLeftPushAsync("queue", "z"));
        Assert.Equal(["z", "a", "b", "c"], (await db.ListRangeAsync("queue")).Select(v => (string)v!));
        Assert.Equal("c", (string?)await db.ListGetByIndexAsync("queue", -1));
        Assert.Equal("z", (string?)await db.ListLeftPopAsync("queue"));

        Assert.Equal(RedisType.Hash, await db.KeyTypeAsync("user:1"));
        Assert.Equal(RedisType.Set, await db.KeyTypeAsync("tags"));
        Assert.Equal(RedisType.List, await db.KeyTypeAsync("queue"));
        var wrong = await Assert.ThrowsAsync<RedisServerException>(() => db.StringGetAsync("user:1"));
        Assert.StartsWith("WRONGTYPE", wrong.Message, StringComparison.Ordinal);
        Assert.True(await db.KeyDeleteAsync("queue"));
        Assert.Equal(RedisType.None, await db.KeyTypeAsync("queue"));
    }

    [Fact]
    public async Task Hashes_sets_and_lists_are_collections_nql_reads_and_resp3_answers_maps_and_sets()
    {
        using var server = RespServers.Start(out var port);
        using var redis = new RespClient(port);
        Assert.Equal(":2", redis.Call("HSET", "user:1", "name", "ada", "lang", "c#"));
        Assert.Equal(":1", redis.Call("SADD", "_tags", "x"));
        Assert.Equal(":2", redis.Call("RPUSH", "q", "a", "b"));

        var (_, hash) = await server.SendAsync(HttpMethod.Post, "/v1/databases/db0/query", """{"nql": "FROM user__3a__1 WHERE _id = 'name'"}""");
        Assert.Equal("ada", hash.GetProperty("rows")[0].GetProperty("_v").GetString());
        var (_, set) = await server.SendAsync(HttpMethod.Post, "/v1/databases/db0/query", """{"nql": "FROM _set__tags"}""");
        Assert.Equal("x", set.GetProperty("rows")[0].GetProperty("_id").GetString());
        var (_, list) = await server.SendAsync(HttpMethod.Post, "/v1/databases/db0/query", """{"nql": "FROM _list_q"}""");
        Assert.Equal(["a", "b"], list.GetProperty("rows").EnumerateArray().Select(r => r.GetProperty("_v").GetString()));

        Assert.Equal("[_tags, q, user:1]", Sorted(redis.Call("KEYS", "*")));
        Assert.Equal(":3", redis.Call("DBSIZE"));
        Assert.StartsWith("{", redis.Call("HELLO", "3"), StringComparison.Ordinal);
        Assert.Equal("{lang: c#, name: ada}", redis.Call("HGETALL", "user:1"));   // fields in id order
        Assert.Equal("~[x]", redis.Call("SMEMBERS", "_tags"));
    }

    private static string Sorted(string reply) => "[" + string.Join(", ", reply[1..^1].Split(", ").Order(StringComparer.Ordinal)) + "]";

    [Fact]
    public async Task The_dotnet_clients_transactions_with_conditions_commit_or_not_as_a_whole()
    {
        using var server = RespServers.Start(out var port);
        await using var connection = await ConnectAsync(port);
        var db = connection.GetDatabase();

        var first = db.CreateTransaction();
        first.AddCondition(Condition.KeyNotExists("account:1"));
        _ = first.StringSetAsync("account:1", "100");
        _ = first.HashSetAsync("audit", "opened", "account:1");
        _ = first.ListRightPushAsync("events", "open");
        Assert.True(await first.ExecuteAsync());
        Assert.Equal("100", (string?)await db.StringGetAsync("account:1"));
        Assert.Equal("account:1", (string?)await db.HashGetAsync("audit", "opened"));

        var second = db.CreateTransaction();   // its condition fails: nothing of it applies
        second.AddCondition(Condition.KeyNotExists("account:1"));
        _ = second.StringSetAsync("account:1", "0");
        _ = second.ListRightPushAsync("events", "reopen");
        Assert.False(await second.ExecuteAsync());
        Assert.Equal("100", (string?)await db.StringGetAsync("account:1"));
        Assert.Equal(1, await db.ListLengthAsync("events"));

        var third = db.CreateTransaction();
        third.AddCondition(Condition.HashEqual("audit", "opened", "account:1"));
        var balance = third.StringIncrementAsync("account:1", -30);
        Assert.True(await third.ExecuteAsync());
        Assert.Equal(70, await balance);
    }

    [Fact]
    public async Task A_hash_set_or_list_expires_as_a_whole_and_what_is_added_to_it_expires_with_it()
    {
        using var server = RespServers.Start(out var port);
        using var redis = new RespClient(port);
        Assert.Equal(":1", redis.Call("HSET", "session", "user", "ada"));
        Assert.Equal(":1", redis.Call("SADD", "online", "ada"));
        Assert.Equal(":1", redis.Call("RPUSH", "jobs", "j1"));
        Assert.Equal(":1", redis.Call("PEXPIRE", "session", "400"));
        Assert.Equal(":1", redis.Call("PEXPIRE", "online", "400"));
        Assert.Equal(":1", redis.Call("EXPIRE", "jobs", "100"));
        Assert.Equal(":1", redis.Call("HSET", "session", "cart", "3"));   // added after: expires with the hash
        Assert.Equal(":1", redis.Call("SADD", "online", "bob"));
        Assert.InRange(long.Parse(redis.Call("PTTL", "session")[1..], CultureInfo.InvariantCulture), 1, 400);
        Assert.Equal(":1", redis.Call("RPUSH", "one", "x"));
        Assert.Equal(":1", redis.Call("EXPIRE", "one", "100"));
        Assert.Equal("x", redis.Call("RPOPLPUSH", "one", "one"));   // the list is never empty: its expiry stays
        Assert.Equal(":100", redis.Call("TTL", "one"));
        Assert.Equal(":1", redis.Call("PERSIST", "jobs"));
        Assert.Equal(":-1", redis.Call("TTL", "jobs"));

        await Task.Delay(600);
        Assert.Equal("none", redis.Call("TYPE", "session"));
        Assert.Equal("(nil)", redis.Call("HGET", "session", "cart"));
        Assert.Equal(":0", redis.Call("SCARD", "online"));
        Assert.Equal(":-2", redis.Call("TTL", "online"));
        Assert.Equal(":1", redis.Call("LLEN", "jobs"));
        Assert.Equal(":1", redis.Call("EXPIRE", "jobs", "0"));   // now or in the past: deleted at once, as in Redis
        Assert.Equal(":0", redis.Call("EXISTS", "jobs"));
    }

    [Fact]
    public async Task Transactions_from_many_clients_apply_whole_and_in_turn()
    {
        using var server = RespServers.Start(out var port);
        const int Clients = 8, Rounds = 40;
        await Task.WhenAll(Enumerable.Range(0, Clients).Select(c => Task.Run(() =>
        {
            using var redis = new RespClient(port);
            for (var i = 0; i < Rounds; i++)
            {
                Assert.Equal("OK", redis.Call("MULTI"));
                Assert.Equal("QUEUED", redis.Call("INCR", "counter"));
                Assert.Equal("QUEUED", redis.Call("HINCRBY", "totals", "n", "1"));
                Assert.Equal("QUEUED", redis.Call("RPUSH", "log", $"{c}:{i}"));
                Assert.Equal("QUEUED", redis.Call("SADD", "seen", $"{c}:{i}"));
                var replies = redis.Call("EXEC");
                Assert.StartsWith("[:", replies, StringComparison.Ordinal);
            }
        })));

        using var check = new RespClient(port);
        Assert.Equal(Clients * Rounds, int.Parse(check.Call("GET", "counter"), CultureInfo.InvariantCulture));
        Assert.Equal((Clients * Rounds).ToString(CultureInfo.InvariantCulture), check.Call("HGET", "totals", "n"));
        Assert.Equal($":{Clients * Rounds}", check.Call("LLEN", "log"));
        Assert.Equal($":{Clients * Rounds}", check.Call("SCARD", "seen"));
    }

    [Fact]
    public void Watch_makes_exec_answer_nil_when_a_watched_key_changed_and_write_nothing()
    {
        using var server = RespServers.Start(out var port);
        using var a = new RespClient(port);
        using var b = new RespClient(port);
        Assert.Equal(":1", a.Call("HSET", "h", "f", "1"));
        Assert.Equal("OK", a.Call("WATCH", "h", "s"));
        Assert.Equal(":1", b.Call("HSET", "h", "g", "2"));   // another client adds a field
        Assert.Equal("OK", a.Call("MULTI"));
        Assert.Equal("QUEUED", a.Call("SET", "s", "mine"));
        Assert.Equal("(nil)", a.Call("EXEC"));
        Assert.Equal("(nil)", a.Call("GET", "s"));

        Assert.Equal("OK", a.Call("WATCH", "s"));
        Assert.Equal("OK", a.Call("MULTI"));
        Assert.Equal("QUEUED", a.Call("SET", "s", "mine"));
        Assert.Equal("[OK]", a.Call("EXEC"));   // nothing changed this time
        Assert.Equal("mine", a.Call("GET", "s"));

        Assert.Equal("-ERR EXEC without MULTI", a.Call("EXEC"));
        Assert.Equal("-ERR DISCARD without MULTI", a.Call("DISCARD"));
        Assert.Equal("OK", a.Call("MULTI"));
        Assert.Equal("-ERR MULTI calls can not be nested", a.Call("MULTI"));
        Assert.Equal("-ERR WATCH inside MULTI is not allowed", a.Call("WATCH", "s"));
        Assert.Equal("QUEUED", a.Call("INCR", "s"));   // fails when run: its error is its reply, the rest applies
        Assert.Equal("QUEUED", a.Call("SET", "t", "1"));
        Assert.Equal("[-ERR value is not an integer or out of range, OK]", a.Call("EXEC"));
        Assert.Equal("1", a.Call("GET", "t"));
        Assert.Equal("OK", a.Call("MULTI"));
        Assert.StartsWith("-ERR wrong number", a.Call("SET", "t"), StringComparison.Ordinal);
        Assert.Equal("-EXECABORT Transaction discarded because of previous errors.", a.Call("EXEC"));
        Assert.Equal("OK", a.Call("MULTI"));
        Assert.Equal("QUEUED", a.Call("SET", "t", "2"));
        Assert.Equal("OK", a.Call("DISCARD"));
        Assert.Equal("1", a.Call("GET", "t"));
    }

    [Fact]
    public async Task Concurrent_pushes_and_adds_lose_nothing()
    {
        using var server = RespServers.Start(out var port);
        await Task.WhenAll(Enumerable.Range(0, 8).Select(c => Task.Run(() =>
        {
            using var redis = new RespClient(port);
            for (var i = 0; i < 30; i++)
            {
                Assert.StartsWith(":", redis.Call(i % 2 == 0 ? "LPUSH" : "RPUSH", "list", $"{c}:{i}"), StringComparison.Ordinal);
                Assert.Equal(":1", redis.Call("SADD", "set", $"{c}:{i}"));
            }
        })));

        using var check = new RespClient(port);
        var all = check.Call("LRANGE", "list", "0", "-1");
        Assert.Equal(240, all[1..^1].Split(", ").Distinct().Count());
        Assert.Equal(":240", check.Call("SCARD", "set"));
    }

    [Fact]
    public void Keys_that_are_not_names_still_name_hashes_and_long_ones_are_refused_clearly()
    {
        using var server = RespServers.Start(out var port);
        using var redis = new RespClient(port);
        var binary = new byte[] { 0xff, 0x00, (byte)'_', (byte)'_', (byte)'.' };
        Assert.Equal(":1", redis.Call("HSET", binary, "f", "v"));
        Assert.Equal("v", redis.Call("HGET", binary, "f"));
        Assert.Equal("hash", redis.Call("TYPE", binary));
        Assert.Equal(":1", redis.Call("DBSIZE"));
        Assert.StartsWith("-ERR key too long for a hash", redis.Call("HSET", new string('k', 200), "f", "v"), StringComparison.Ordinal);
        Assert.Equal(":-1", redis.Call("TTL", binary));
        Assert.Equal(":1", redis.Call("DEL", binary));
        Assert.Equal("none", redis.Call("TYPE", binary));
    }
}
