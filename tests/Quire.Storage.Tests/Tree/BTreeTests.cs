using CsCheck;
using Quire.Storage.Engine;
using Quire.Storage.Tree;

namespace Quire.Storage.Tests.Tree;

/// <summary>The tree against a sorted dictionary: random upserts, tombstones, large values, scans with bounds.</summary>
public class BTreeTests
{
    [Fact]
    public void Random_upserts_match_a_sorted_dictionary() =>
        Gen.Int[0, int.MaxValue].Sample(seed => Run(seed, 4096, 3000), iter: 30, threads: 1);

    [Fact]
    public void A_million_sequential_and_random_keys_keep_order_and_a_shallow_tree()
    {
        var tree = new BTree(8192);
        var random = new Random(5);
        var value = new byte[200];
        for (var i = 0; i < 500_000; i++)
        {
            tree.Upsert(BitConverter.GetBytes(System.Buffers.Binary.BinaryPrimitives.ReverseEndianness((long)i)), i, value, false);
            tree.Upsert(BitConverter.GetBytes(random.NextInt64()), i, value, false);
        }

        Assert.True(tree.Depth <= 4, $"depth {tree.Depth}");
        byte[]? previous = null;
        var count = 0;
        foreach (var (key, _, _) in tree.Scan(null, null))
        {
            Assert.True(previous is null || previous.AsSpan().SequenceCompareTo(key) < 0);
            previous = key;
            count++;
        }

        Assert.Equal(tree.Count, count);
    }

    private static void Run(int seed, int pageSize, int operations)
    {
        var random = new Random(seed);
        var tree = new BTree(pageSize);
        var model = new SortedDictionary<byte[], (long, byte[]?)>(ByteArrayComparer.Instance);
        for (var i = 0; i < operations; i++)
        {
            byte[] key;
            if (seed % 2 == 0)
            {
                key = new byte[random.Next(1, random.Next(4) == 0 ? tree.MaxKeyLength : 24)];
                random.NextBytes(key.AsSpan(0, Math.Min(key.Length, 2)));
            }
            else
            {
                // Long shared prefixes, as tuple-encoded document keys have: nodes' prefixes grow deep.
                key = System.Text.Encoding.ASCII.GetBytes($"coll/{random.Next(3)}/{random.Next(0, 1 << random.Next(1, 20)).ToString().PadLeft(random.Next(1, 12), '0')}");
            }

            if (random.Next(3) == 0 && model.Count > 0)
            {
                key = model.Keys.ElementAt(random.Next(model.Count)); // overwrite an existing key
            }

            var tombstone = random.Next(6) == 0;
            var value = tombstone ? null : new byte[random.Next(8) == 0 ? random.Next(pageSize) : random.Next(0, 300)];
            if (value is not null)
            {
                random.NextBytes(value);
            }

            tree.Upsert(key, i, value, tombstone);
            model[key] = (i, value);
        }

        Assert.Equal(model.Count, tree.Count);
        foreach (var (key, (version, value)) in model)
        {
            Assert.True(tree.TryGet(key, out var v, out var found));
            Assert.Equal(version, v);
            Assert.Equal(value, found);
        }

        var keys = model.Keys.ToArray();
        for (var i = 0; i < 20; i++)
        {
            var a = keys[random.Next(keys.Length)];
            var b = keys[random.Next(keys.Length)];
            var (from, to) = ByteArrayComparer.Instance.Compare(a, b) <= 0 ? (a, b) : (b, a);
            var expected = model.Where(e => ByteArrayComparer.Instance.Compare(e.Key, from) >= 0 && ByteArrayComparer.Instance.Compare(e.Key, to) < 0).Select(e => e.Key).ToList();
            Assert.Equal(expected, tree.Scan(from, to).Select(e => e.Key).ToList());
        }

        Assert.Equal(keys, tree.Scan(null, null).Select(e => e.Key).ToArray());
        // Absent keys between and around the present ones are not found.
        for (var i = 0; i < 200; i++)
        {
            var probe = (byte[])keys[random.Next(keys.Length)].Clone();
            probe[random.Next(probe.Length)] ^= (byte)random.Next(1, 256);
            Assert.Equal(model.ContainsKey(probe), tree.TryGet(probe, out _, out _));
        }
    }
}
