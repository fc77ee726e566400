using CsCheck;
using Quire.Storage.Engine;
using Quire.Storage.Tree;

namespace Quire.Storage.Tests.Tree;

/// <summary>Replay applies a log tail in key order, chunk by chunk: the tree must end as if every write were applied in log order.</summary>
public class KeyOrderBufferTests
{
    [Fact]
    public void Writes_applied_in_key_order_leave_the_tree_that_log_order_leaves() =>
        Gen.Int[0, int.MaxValue].Sample(Run, iter: 40, threads: 1);

    private static void Run(int seed)
    {
        var random = new Random(seed);
        var inOrder = new BTree(new PagePool(8192), null);
        var sorted = new BTree(new PagePool(8192), null);

        // Small chunks, so a tail spans several; keys that share long prefixes, or are prefixes of each other.
        var buffer = new KeyOrderBuffer(chunkBytes: random.Next(200, 20_000));
        var keys = Enumerable.Range(0, random.Next(1, 300)).Select(i => Key(random)).Distinct(ByteArrayComparer.Instance).ToArray();
        for (var seq = 0L; seq < 2000; seq++)
        {
            // One op may write several keys, the same key more than once: the last write wins.
            for (var w = random.Next(1, 4); w > 0; w--)
            {
                var key = keys[random.Next(keys.Length)];
                var tombstone = random.Next(6) == 0;
                var value = tombstone ? [] : Enumerable.Repeat((byte)random.Next(256), random.Next(0, 300)).ToArray();
                inOrder.Upsert(key, seq, value, tombstone);
                buffer.Add(sorted, key, seq, value, tombstone);
            }
        }

        buffer.ApplyTo(sorted);
        var expected = TreeEntries.Scan(inOrder.Freeze(2000), null, null, reverse: false).ToList();
        var actual = TreeEntries.Scan(sorted.Freeze(2000), null, null, reverse: false).ToList();
        Assert.Equal(expected.Count, actual.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Key, actual[i].Key);
            Assert.Equal(expected[i].Version, actual[i].Version);
            Assert.Equal(expected[i].Value, actual[i].Value);
        }
    }

    private static byte[] Key(Random random) => random.Next(3) switch
    {
        0 => [(byte)random.Next(4)],
        1 => "shared-prefix-of-many-keys/"u8.ToArray().Concat(new[] { (byte)random.Next(4), (byte)random.Next(256) }).ToArray(),
        _ => Enumerable.Range(0, random.Next(1, 12)).Select(_ => (byte)random.Next(3)).ToArray(),
    };
}
