using StackExchange.Redis;

namespace Quire.Server.Tests.Resp;

/// <summary>StackExchange.Redis, the .NET client, against the Redis port: strings, expiry, batches, transactions of one client, RESP2 and RESP3.</summary>
public class StackExchangeRedisTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task The_dotnet_client_connects_and_works_with_strings(bool resp3)
    {
        var port = ServerProcess.FreePort();
        using var server = new ServerProcess(null, null, "--resp2-port", port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var options = new ConfigurationOptions
        {
            EndPoints = { { "127.0.0.1", port } },
            Protocol = resp3 ? RedisProtocol.Resp3 : RedisProtocol.Resp2,
            AbortOnConnectFail = true,
            ConnectTimeout = 10_000,
            SyncTimeout = 10_000,
        };
        await using var connection = await ConnectionMultiplexer.ConnectAsync(options);
        Assert.Equal(resp3 ? RedisProtocol.Resp3 : RedisProtocol.Resp2, connection.GetServer("127.0.0.1", port).Protocol);
        var db = connection.GetDatabase();

        Assert.True(await db.StringSetAsync("user:1", "ada"));
        Assert.Equal("ada", (string?)await db.StringGetAsync("user:1"));
        Assert.False(await db.StringSetAsync("user:1", "bob", when: When.NotExists));
        Assert.Equal(11, await db.StringIncrementAsync("visits", 11));
        Assert.Equal(10.5, await db.StringIncrementAsync("ratio", 10.5));
        Assert.True(await db.KeyExistsAsync("visits"));
        Assert.True(await db.KeyExpireAsync("visits", TimeSpan.FromMinutes(5)));
        var ttl = await db.KeyTimeToLiveAsync("visits");
        Assert.InRange(ttl!.Value.TotalSeconds, 290, 300);
        Assert.True(await db.KeyDeleteAsync("user:1"));
        Assert.True((await db.StringGetAsync("user:1")).IsNull);

        // A batch goes out as one pipeline: its SETs share group commits, and every reply comes back in order.
        var batch = db.CreateBatch();
        var sets = Enumerable.Range(0, 200).Select(i => batch.StringSetAsync($"b:{i}", i)).ToList();
        batch.Execute();
        Assert.All(await Task.WhenAll(sets), Assert.True);
        var values = await db.StringGetAsync([.. Enumerable.Range(0, 200).Select(i => (RedisKey)$"b:{i}")]);
        Assert.Equal(Enumerable.Range(0, 200), values.Select(v => (int)v));
    }
}
