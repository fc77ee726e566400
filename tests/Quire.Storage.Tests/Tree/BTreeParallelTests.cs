using CsCheck;
using Quire.Storage.Engine;
using Quire.Storage.Tree;

namespace Quire.Storage.Tests.Tree;

/// <summary>
/// A sorted run applied on two threads leaves the same content and count as the same
/// run applied in order, a balanced tree, and a dirty count that is its node count:
/// random trees and runs, long keys whose splits reach the root (and split it) several
/// times in one run, tombstones and blobs.
/// </summary>
public class BTreeParallelTests
{
    [Fact]
    public void A_run_applied_in_two_halves_matches_the_run_applied_in_order()
    {
        var halved = 0;
        Gen.Int[0, int.MaxValue].Sample(seed => halved += Run(seed) ? 1 : 0, iter: 40, threads: 1);

        // A run whose keys fall mostly under one child of the root goes on one thread.
        Assert.True(halved >= 20, $"only {halved} of 40 runs were applied in two halves");
    }

    /// <summary>Whether the run was applied in two halves (else in order, and held to the same checks).</summary>
    private static bool Run(int seed)
    {
        var random = new Random(seed);
        var longKeys = seed % 3 == 0; // a few separators fill an internal page: splits climb to the root
        var sequential = new BTree(new PagePool(8192), null);
        var parallel = new BTree(new PagePool(8192), null);
        var model = new SortedDictionary<byte[], (long Version, byte[]? Value)>(ByteArrayComparer.Instance);

        // The same history for both, in generations.
        var version = 0L;
        for (var i = 0; i < random.Next(2_000, 20_000); i++)
        {
            var key = Key(random, longKeys, sequential.MaxKeyLength);
            var value = Value(random);
            sequential.Upsert(key, ++version, value, false);
            parallel.Upsert(key, version, value, false);
            model[key] = (version, value);
            if (i % 500 == 0)
            {
                sequential.Freeze(version);
                parallel.Freeze(version);
            }
        }

        sequential.Freeze(version);
        parallel.Freeze(version);

        // One run, sorted by key then arrival: overwrites, inserts, tombstones, blobs.
        var run = new List<(byte[] Key, long Version, byte[]? Value)>();
        for (var i = 0; i < random.Next(512, 6_000); i++)
        {
            var key = random.Next(3) == 0 ? model.Keys.ElementAt(random.Next(model.Count)) : Key(random, longKeys, sequential.MaxKeyLength);
            var tombstone = random.Next(8) == 0;
            run.Add((key, ++version, tombstone ? null : random.Next(50) == 0 ? Blob(random) : Value(random)));
        }

        run = [.. run.OrderBy(w => w.Key, ByteArrayComparer.Instance).ThenBy(w => w.Version)];
        foreach (var (key, v, value) in run)
        {
            sequential.Upsert(key, v, value, value is null);
            model[key] = (v, value);
        }

        void Apply(BTree writer, int from, int to)
        {
            for (var i = from; i < to; i++)
            {
                writer.Upsert(run[i].Key, run[i].Version, run[i].Value, run[i].Value is null);
            }
        }

        var halved = parallel.TryApplySortedInParallel(run.Count, index => run[index].Key, Apply);
        if (!halved)
        {
            Apply(parallel, 0, run.Count);
        }

        // The content must match; the shape may differ in fill (see BTree.Parallel.cs), so
        // the parallel tree is held to its own depth and node count.
        var expected = sequential.Freeze(version);
        var actual = parallel.Freeze(version);
        Assert.Equal(expected.Count, actual.Count);
        Assert.Equal(model.Count, actual.Count);
        Assert.Equal(actual.Depth, LeafDepth(actual.Node));
        Assert.Equal(Nodes(actual.Node), parallel.DirtyPages); // no checkpoint: every node of the tree is dirty, and only those
        Assert.Equal(
            model.Select(e => (e.Key, e.Value.Version, e.Value.Value)),
            TreeEntries.Scan(actual, null, null, reverse: false).Select(e => (e.Key, e.Version, e.Value)),
            EntryComparer.Instance);

        // Later writes still land where they belong.
        var after = Key(random, longKeys, parallel.MaxKeyLength);
        parallel.Upsert(after, ++version, [1, 2, 3], false);
        Assert.True(TreeReader.TryGet(parallel.Freeze(version).Node, after, null, out _, out var found));
        Assert.Equal([1, 2, 3], found);
        return halved;
    }

    /// <summary>The depth of every leaf, which must be one and the same.</summary>
    private static int LeafDepth(Node node)
    {
        if (node.IsLeaf)
        {
            return 1;
        }

        var depths = Enumerable.Range(0, node.Count + 1).Select(i => LeafDepth(node.Children![i]!)).Distinct().ToList();
        Assert.Single(depths);
        return depths[0] + 1;
    }

    private static long Nodes(Node node) =>
        node.IsLeaf ? 1 : 1 + Enumerable.Range(0, node.Count + 1).Sum(i => Nodes(node.Children![i]!));

    private static byte[] Key(Random random, bool longKeys, int maxKeyLength)
    {
        var key = new byte[longKeys ? random.Next(maxKeyLength / 2, maxKeyLength) : random.Next(4, 24)];
        random.NextBytes(key);
        return key;
    }

    private static byte[] Value(Random random)
    {
        var value = new byte[random.Next(0, 200)];
        random.NextBytes(value);
        return value;
    }

    private static byte[] Blob(Random random)
    {
        var value = new byte[random.Next(3_000, 20_000)];
        random.NextBytes(value);
        return value;
    }

    private sealed class EntryComparer : IEqualityComparer<(byte[] Key, long Version, byte[]? Value)>
    {
        public static readonly EntryComparer Instance = new();

        public bool Equals((byte[] Key, long Version, byte[]? Value) x, (byte[] Key, long Version, byte[]? Value) y) =>
            x.Key.AsSpan().SequenceEqual(y.Key) && x.Version == y.Version && (x.Value ?? []).AsSpan().SequenceEqual(y.Value ?? []) && (x.Value is null) == (y.Value is null);

        public int GetHashCode((byte[] Key, long Version, byte[]? Value) obj) => obj.Key.Length;
    }
}
