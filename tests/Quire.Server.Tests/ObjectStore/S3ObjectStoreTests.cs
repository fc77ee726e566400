using System.Text;
using Quire.Replication.ObjectStore;

namespace Quire.Server.Tests.ObjectStore;

/// <summary><see cref="S3ObjectStore"/> against a real S3 server (Ceph's RADOS Gateway): objects, listing, and compare-and-swap that racers cannot both win.</summary>
[Collection("rgw")]
public class S3ObjectStoreTests(RadosGateway gateway)
{
    [Fact]
    public async Task Objects_are_written_read_listed_in_order_and_deleted()
    {
        using var store = await gateway.NewBucketAsync();
        Assert.Null(await store.GetAsync("db/none"));
        foreach (var name in new[] { "db/wal/00000000000000000010", "db/wal/00000000000000000002", "other/x" })
        {
            await store.PutAsync(name, Encoding.UTF8.GetBytes(name));
        }

        Assert.Equal(["db/wal/00000000000000000002", "db/wal/00000000000000000010"], await store.ListAsync("db/").ToListAsync());
        var read = await store.GetAsync("db/wal/00000000000000000010");
        Assert.Equal("db/wal/00000000000000000010", Encoding.UTF8.GetString(read!.Data));
        Assert.DoesNotContain('"', read.ETag);

        await store.DeleteAsync("db/wal/00000000000000000002");
        await store.DeleteAsync("db/wal/never-there");
        Assert.Equal(["db/wal/00000000000000000010"], await store.ListAsync("db/").ToListAsync());

        var large = new byte[3 << 20];
        new Random(7).NextBytes(large);
        await store.PutAsync("db/large", large);
        Assert.Equal(large, (await store.GetAsync("db/large"))!.Data);
    }

    [Fact]
    public async Task A_conditional_put_creates_once_and_replaces_only_the_version_it_read()
    {
        using var store = await gateway.NewBucketAsync();
        var first = await store.PutIfAsync("m", "v1"u8.ToArray(), ifMatch: null);
        Assert.NotNull(first);
        Assert.Null(await store.PutIfAsync("m", "v1-again"u8.ToArray(), ifMatch: null));   // it exists now
        var second = await store.PutIfAsync("m", "v2"u8.ToArray(), first);
        Assert.NotNull(second);
        Assert.Null(await store.PutIfAsync("m", "v3"u8.ToArray(), first));                  // read before v2: refused
        Assert.Equal("v2", Encoding.UTF8.GetString((await store.GetAsync("m"))!.Data));
        Assert.Equal(second, (await store.GetAsync("m"))!.ETag);
    }

    [Fact]
    public async Task Of_eight_racers_replacing_one_version_exactly_one_wins()
    {
        using var store = await gateway.NewBucketAsync();
        for (var round = 0; round < 3; round++)
        {
            var current = await store.GetAsync("manifest");
            var racers = Enumerable.Range(0, 8).Select(i => Task.Run(() => store.PutIfAsync("manifest", Encoding.UTF8.GetBytes($"round {round} racer {i}"), current?.ETag))).ToArray();
            var results = await Task.WhenAll(racers);
            var winners = Enumerable.Range(0, 8).Where(i => results[i] is not null).ToList();
            Assert.Single(winners);
            Assert.Equal($"round {round} racer {winners[0]}", Encoding.UTF8.GetString((await store.GetAsync("manifest"))!.Data));
        }
    }
}
