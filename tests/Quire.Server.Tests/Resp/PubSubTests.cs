using StackExchange.Redis;

namespace Quire.Server.Tests.Resp;

/// <summary>PUBLISH and (P)SUBSCRIBE through StackExchange.Redis (RESP2 and RESP3) and a raw client.</summary>
public class PubSubTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task The_dotnet_client_receives_what_is_published_to_its_channels_and_patterns(bool resp3)
    {
        using var server = RespServers.Start(out var port);
        await using var connection = await ConnectionMultiplexer.ConnectAsync(new ConfigurationOptions
        {
            EndPoints = { { "127.0.0.1", port } },
            Protocol = resp3 ? RedisProtocol.Resp3 : RedisProtocol.Resp2,
            AbortOnConnectFail = true,
            ConnectTimeout = 10_000,
        });
        var subscriber = connection.GetSubscriber();
        var exact = new TaskCompletionSource<string>();
        var byPattern = new TaskCompletionSource<string>();
        await subscriber.SubscribeAsync(RedisChannel.Literal("news"), (channel, message) => exact.TrySetResult($"{channel}:{message}"));
        await subscriber.SubscribeAsync(RedisChannel.Pattern("ne*"), (channel, message) => byPattern.TrySetResult($"{channel}:{message}"));

        Assert.Equal(2, await connection.GetDatabase().PublishAsync(RedisChannel.Literal("news"), "hello"));
        Assert.Equal("news:hello", await exact.Task.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal("news:hello", await byPattern.Task.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(0, await connection.GetDatabase().PublishAsync(RedisChannel.Literal("other"), "x"));
    }

    [Fact]
    public void A_subscribed_resp2_connection_runs_only_pubsub_commands_and_unsubscribing_confirms_each()
    {
        using var server = RespServers.Start(out var port);
        using var listener = new RespClient(port);
        using var publisher = new RespClient(port);
        listener.SendRaw(RespClient.Encode("SUBSCRIBE", "a", "b"));
        Assert.Equal("[subscribe, a, :1]", listener.Read());
        Assert.Equal("[subscribe, b, :2]", listener.Read());
        Assert.StartsWith("-ERR Can't execute 'get'", listener.Call("GET", "k"), StringComparison.Ordinal);
        Assert.Equal(":1", publisher.Call("PUBLISH", "b", "hi"));
        Assert.Equal("[message, b, hi]", listener.Read());
        Assert.Equal("[a, b]", publisher.Call("PUBSUB", "CHANNELS"));
        Assert.Equal("[a, :1, zz, :0]", publisher.Call("PUBSUB", "NUMSUB", "a", "zz"));

        listener.SendRaw(RespClient.Encode("UNSUBSCRIBE"));
        var (first, second) = (listener.Read(), listener.Read());   // one per channel, the count going down
        Assert.Equal(["[unsubscribe, a", "[unsubscribe, b"], new[] { first[..15], second[..15] }.Order());
        Assert.EndsWith(", :1]", first, StringComparison.Ordinal);
        Assert.EndsWith(", :0]", second, StringComparison.Ordinal);
        Assert.Equal("(nil)", listener.Call("GET", "k"));   // listening to nothing: every command again
        Assert.Equal(":0", publisher.Call("PUBLISH", "b", "hi"));
        Assert.Equal("[]", publisher.Call("PUBSUB", "CHANNELS"));
    }

    [Fact]
    public void A_subscriber_that_stops_reading_is_closed_and_publishers_are_not_held_up()
    {
        using var server = RespServers.Start(out var port);
        using var listener = new RespClient(port);
        using var publisher = new RespClient(port);
        listener.SendRaw(RespClient.Encode("SUBSCRIBE", "flood"));
        Assert.Equal("[subscribe, flood, :1]", listener.Read());

        var payload = new string('x', 4096);
        var batch = Enumerable.Range(0, 100).SelectMany(_ => RespClient.Encode("PUBLISH", "flood", payload)).ToArray();
        var sent = 0;
        for (; sent < 20_000 && publisher.Call("PUBSUB", "NUMSUB", "flood") == "[flood, :1]"; sent += 100)
        {
            publisher.SendRaw(batch);
            for (var i = 0; i < 100; i++)
            {
                Assert.StartsWith(":", publisher.Read(), StringComparison.Ordinal);
            }
        }

        Assert.True(sent < 20_000, "the listener that never reads was never dropped");
        Assert.Equal(":0", publisher.Call("PUBLISH", "flood", "after"));
    }

    [Fact]
    public async Task Keyspace_notifications_come_from_the_change_feed_for_writes_from_any_client()
    {
        using var server = RespServers.Start(out var port);
        using var listener = new RespClient(port);
        using var writer = new RespClient(port);
        Assert.Equal("[notify-keyspace-events, ]", writer.Call("CONFIG", "GET", "notify-keyspace-events"));
        Assert.StartsWith("-ERR CONFIG SET failed", writer.Call("CONFIG", "SET", "notify-keyspace-events", "Kq"), StringComparison.Ordinal);
        Assert.Equal("OK", writer.Call("SET", "early", "1"));   // db0 exists
        Assert.Equal("OK", writer.Call("CONFIG", "SET", "notify-keyspace-events", "KEA"));
        Assert.Equal("[notify-keyspace-events, KEA]", writer.Call("CONFIG", "GET", "notify-keyspace-events"));
        listener.SendRaw(RespClient.Encode("PSUBSCRIBE", "__keyspace@0__:*", "__keyevent@0__:hset"));
        Assert.Equal("[psubscribe, __keyspace@0__:*, :1]", listener.Read());
        Assert.Equal("[psubscribe, __keyevent@0__:hset, :2]", listener.Read());

        Assert.Equal("OK", writer.Call("SET", "user:1", "ada"));
        Assert.Equal("[pmessage, __keyspace@0__:*, __keyspace@0__:user:1, set]", listener.Read());
        Assert.Equal(":1", writer.Call("HSET", "h", "f", "v"));
        var both = new[] { listener.Read(), listener.Read() }.Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(["[pmessage, __keyevent@0__:hset, __keyevent@0__:hset, h]", "[pmessage, __keyspace@0__:*, __keyspace@0__:h, hset]"], both);

        // A write over HTTP is a change like any other.
        Assert.Equal(System.Net.HttpStatusCode.OK, (await server.SendAsync(HttpMethod.Post, "/v1/databases/db0/put", """{"coll": "_kv", "id": "from-http", "doc": {"_v": "x"}}""")).Status);
        Assert.Equal("[pmessage, __keyspace@0__:*, __keyspace@0__:from-http, set]", listener.Read());
        Assert.Equal(":1", writer.Call("DEL", "user:1"));
        Assert.Equal("[pmessage, __keyspace@0__:*, __keyspace@0__:user:1, del]", listener.Read());

        Assert.Equal("OK", writer.Call("CONFIG", "SET", "notify-keyspace-events", ""));
        Assert.Equal("OK", writer.Call("SET", "quiet", "1"));
        Assert.Equal(":1", writer.Call("PUBLISH", "__keyspace@0__:marker", "end"));   // nothing came before this
        Assert.Equal("[pmessage, __keyspace@0__:*, __keyspace@0__:marker, end]", listener.Read());
    }
}
