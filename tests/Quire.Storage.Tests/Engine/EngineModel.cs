using System.Collections.Immutable;
using Quire.Storage.Engine;
using static Quire.Storage.Tests.Keys;

namespace Quire.Storage.Tests.Engine;

/// <summary>
/// The plain in-memory model the engine is checked against: key to (version, value or
/// tombstone), and the next seq. Immutable, so every state in a history can be kept.
/// </summary>
internal sealed record EngineModel(ImmutableSortedDictionary<string, (long Version, string? Value)> Keys, long NextSeq)
{
    public static EngineModel Empty { get; } = new(ImmutableSortedDictionary.Create<string, (long, string?)>(StringComparer.Ordinal), 0);

    /// <summary>What committing the batch would do: the failures, or the new state.</summary>
    public (EngineModel Next, List<(int Op, string Key, long Expected, long? Actual)> Failures) Commit(GeneratedBatch batch)
    {
        var failures = new List<(int, string, long, long?)>();
        foreach (var (op, key, expected) in batch.Preconditions)
        {
            var found = Keys.TryGetValue(key, out var entry);
            long? actual = found ? entry.Version : null;
            var holds = expected == WriteBatch.Absent ? !found || entry.Value is null : actual == expected;
            if (!holds)
            {
                failures.Add((op, key, expected, actual));
            }
        }

        if (failures.Count > 0)
        {
            return (this, failures);
        }

        var keys = Keys.ToBuilder();
        for (var op = 0; op < batch.Ops.Count; op++)
        {
            foreach (var (key, value) in batch.Ops[op])
            {
                keys[key] = (NextSeq + op, value);
            }
        }

        return (new EngineModel(keys.ToImmutable(), NextSeq + batch.Ops.Count), failures);
    }

    /// <summary>Asserts that the engine holds exactly this state.</summary>
    public void AssertMatches(StorageEngine engine, IEnumerable<string> keySpace, string context)
    {
        Assert.True(NextSeq - 1 == engine.LastSeq, $"{context}: engine at seq {engine.LastSeq}, model at {NextSeq - 1}, engine failure: {engine.Failure?.InnerException}");
        using var view = engine.OpenSnapshot();
        AssertMatches(view, keySpace, context);
    }

    /// <summary>Checks a view (of now, or as of an earlier seq) holds exactly this state.</summary>
    public void AssertMatches(Snapshot view, IEnumerable<string> keySpace, string context)
    {
        Assert.True(NextSeq - 1 == view.Seq, $"{context}: view at seq {view.Seq}, model at {NextSeq - 1}");
        foreach (var key in keySpace)
        {
            var inEngine = view.TryGetVersioned(B(key), out var value);
            var inModel = Keys.TryGetValue(key, out var expected);
            Assert.True(inEngine == inModel, $"{context}: key {key} in engine {inEngine}, in model {inModel}");
            if (inModel)
            {
                Assert.True(
                    expected.Version == value.Version && expected.Value == (value.Value is null ? null : S(value.Value)),
                    $"{context}: key {key} is ({value.Version}, {S(value.Value)}) in the engine, ({expected.Version}, {expected.Value}) in the model");
            }
        }

        Assert.Equal(Keys.Count(k => k.Value.Value is not null), view.Scan().Count());
    }
}

/// <summary>A random batch: ops of (key, value or null for delete), and preconditions (op, key, expected).</summary>
internal sealed record GeneratedBatch(List<List<(string Key, string? Value)>> Ops, List<(int Op, string Key, long Expected)> Preconditions)
{
    public WriteBatch ToWriteBatch()
    {
        var batch = new WriteBatch();
        for (var op = 0; op < Ops.Count; op++)
        {
            foreach (var (o, key, expected) in Preconditions)
            {
                if (o == op)
                {
                    batch.Require(B(key), expected);
                }
            }

            var builder = batch.BeginOp();
            foreach (var (key, value) in Ops[op])
            {
                builder = value is null ? builder.Delete(B(key)) : builder.Put(B(key), B(value));
            }

            builder.End();
        }

        return batch;
    }

    public static GeneratedBatch Random(Random random, EngineModel model, string[] keySpace)
    {
        var ops = new List<List<(string, string?)>>();
        var preconditions = new List<(int, string, long)>();
        // Now and then a large batch, so groups of 64 writes and more (applied in key order) come up too.
        var opCount = random.Next(8) == 0 ? random.Next(16, 33) : random.Next(1, 5);
        for (var op = 0; op < opCount; op++)
        {
            var writes = new List<(string, string?)>();
            for (var w = random.Next(1, 3); w > 0; w--)
            {
                var key = keySpace[random.Next(keySpace.Length)];
                // Now and then a value too large for a leaf, kept in overflow pages.
                writes.Add((key, random.Next(5) == 0 ? null : $"v{random.Next(1000)}-{new string('x', random.Next(12) == 0 ? 2500 : random.Next(0, 400))}"));
            }

            ops.Add(writes);
            if (random.Next(3) == 0)
            {
                var key = keySpace[random.Next(keySpace.Length)];
                var expected = random.Next(3) switch
                {
                    0 => WriteBatch.Absent,
                    1 => model.Keys.TryGetValue(key, out var e) ? e.Version : WriteBatch.Absent,
                    _ => random.Next(0, (int)Math.Max(1, model.NextSeq + 2)),
                };
                preconditions.Add((op, key, expected));
            }
        }

        return new GeneratedBatch(ops, preconditions);
    }
}
