using CsCheck;
using Quire.Storage.Engine;
using Quire.Storage.Tree;

namespace Quire.Storage.Tests.Tree;

/// <summary>
/// The copy-on-write tree against a sorted dictionary: random upserts, tombstones, large
/// values, scans both ways with bounds, and frozen roots that must keep their content
/// while later generations change the tree.
/// </summary>
public class BTreeTests
{
    [Fact]
    public void Random_upserts_match_a_sorted_dictionary_and_frozen_roots_never_change() =>
        Gen.Int[0, int.MaxValue].Sample(seed => Run(seed, 8192, 3000), iter: 30, threads: 1);

    [Fact]
    public void A_million_sequential_and_random_keys_keep_order_and_a_shallow_tree()
    {
        var tree = new BTree(new PagePool(8192), null);
        var random = new Random(5);
        var value = new byte[200];
        for (var i = 0; i < 500_000; i++)
        {
            tree.Upsert(BitConverter.GetBytes(System.Buffers.Binary.BinaryPrimitives.ReverseEndianness((long)i)), i, value, false);
            tree.Upsert(BitConverter.GetBytes(random.NextInt64()), i, value, false);
            if (i % 64 == 0)
            {
                tree.Freeze(i);
            }
        }

        var root = tree.Freeze(500_000);
        Assert.True(root.Depth <= 4, $"depth {root.Depth}");
        byte[]? previous = null;
        var count = 0;
        foreach (var (key, _, _) in TreeEntries.Scan(root, null, null, reverse: false))
        {
            Assert.True(previous is null || previous.AsSpan().SequenceCompareTo(key) < 0);
            previous = key;
            count++;
        }

        Assert.Equal(root.Count, count);
    }

    [Fact]
    public void Keys_inserted_in_order_fill_their_pages()
    {
        var tree = new BTree(new PagePool(8192), null);
        var value = new byte[200];
        for (var i = 0; i < 200_000; i++)
        {
            tree.Upsert(System.Text.Encoding.ASCII.GetBytes($"key:{i:D12}"), i, value, false);
        }

        // A leaf cell is 2 + 16 + 8 + 1 + 4 + 200 bytes plus a 6-byte slot; a page holds (8192 - 32) of them.
        var ideal = 200_000 / ((8192 - 32) / (2 + 16 + 8 + 1 + 4 + 200 + 6));
        Assert.InRange(tree.DirtyPages, ideal, ideal * 105 / 100);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void An_ascending_run_inside_the_key_space_fills_its_pages_too(bool keysOnBothSides)
    {
        var tree = new BTree(new PagePool(8192), null);
        var value = new byte[200];
        tree.Upsert([0xFF, 0x00], 0, value, false);   // as the engine's settings sit at the far right
        if (keysOnBothSides)
        {
            for (var i = 0; i < 10_000; i++)   // another collection before the run, and one after
            {
                tree.Upsert(System.Text.Encoding.ASCII.GetBytes($"a:{i:D14}"), 0, value, false);
                tree.Upsert(System.Text.Encoding.ASCII.GetBytes($"z:{i:D14}"), 0, value, false);
            }
        }

        var before = tree.DirtyPages;
        const int Keys = 200_000;
        for (var i = 0; i < Keys; i++)
        {
            tree.Upsert(System.Text.Encoding.ASCII.GetBytes($"key:{i:D12}"), i, value, false);
        }

        var ideal = Keys / ((8192 - 32) / (2 + 16 + 8 + 1 + 4 + 200 + 6));
        Assert.InRange(tree.DirtyPages - before, ideal, ideal * 105 / 100);
        Assert.Equal(Keys + 1 + (keysOnBothSides ? 20_000 : 0), tree.Freeze(1).Count);
    }

    private static void Run(int seed, int pageSize, int operations)
    {
        var random = new Random(seed);
        var tree = new BTree(new PagePool(pageSize), null);
        var model = new SortedDictionary<byte[], (long, byte[]?)>(ByteArrayComparer.Instance);
        var frozen = new List<(TreeRoot Root, SortedDictionary<byte[], (long, byte[]?)> Model)>();
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
            if (random.Next(40) == 0)
            {
                // End a generation and keep its root: later writes must copy, never change it.
                frozen.Add((tree.Freeze(i), new SortedDictionary<byte[], (long, byte[]?)>(model, ByteArrayComparer.Instance)));
            }
        }

        frozen.Add((tree.Freeze(operations), model));
        // The oldest, one from the middle and the last: checking is slower than building.
        foreach (var (root, expected) in new[] { frozen[0], frozen[frozen.Count / 2], frozen[^1] })
        {
            Check(root, expected, random);
        }
    }

    private static void Check(TreeRoot root, SortedDictionary<byte[], (long, byte[]?)> model, Random random)
    {
        Assert.Equal(model.Count, root.Count);
        foreach (var (key, (version, value)) in model)
        {
            Assert.True(TreeReader.TryGet(root.Node, key, null, out var v, out var found));
            Assert.Equal(version, v);
            Assert.Equal(value, found);
        }

        var keys = model.Keys.ToArray();
        Assert.Equal(keys, TreeEntries.Scan(root, null, null, reverse: false).Select(e => e.Key).ToArray());
        Assert.Equal(keys.Reverse(), TreeEntries.Scan(root, null, null, reverse: true).Select(e => e.Key).ToArray());
        for (var i = 0; i < 20 && keys.Length > 0; i++)
        {
            var a = keys[random.Next(keys.Length)];
            var b = keys[random.Next(keys.Length)];
            var (from, to) = ByteArrayComparer.Instance.Compare(a, b) <= 0 ? (a, b) : (b, a);
            var expected = model.Where(e => ByteArrayComparer.Instance.Compare(e.Key, from) >= 0 && ByteArrayComparer.Instance.Compare(e.Key, to) < 0).Select(e => e.Key).ToList();
            Assert.Equal(expected, TreeEntries.Scan(root, from, to, reverse: false).Select(e => e.Key).ToList());
            expected.Reverse();
            Assert.Equal(expected, TreeEntries.Scan(root, from, to, reverse: true).Select(e => e.Key).ToList());
        }

        // Absent keys between and around the present ones are not found.
        for (var i = 0; i < 200 && keys.Length > 0; i++)
        {
            var probe = (byte[])keys[random.Next(keys.Length)].Clone();
            probe[random.Next(probe.Length)] ^= (byte)random.Next(1, 256);
            Assert.Equal(model.ContainsKey(probe), TreeReader.TryGet(root.Node, probe, null, out _, out _));
        }
    }
}
