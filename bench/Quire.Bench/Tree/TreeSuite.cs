using System.Diagnostics;
using Quire.Bench.Harness;
using Quire.Bench.Log;
using Quire.Storage.Engine;

namespace Quire.Bench.Tree;

/// <summary>
/// Suite <c>tree</c>: what checkpoints write after k changes at two sizes (pages must
/// not grow with size), the tree's depth, log tail replay, and, on the largest
/// database of the run with a cache below its size (the same for every system), open
/// to first read and point and range reads from 4 threads against SQLite and RocksDB.
/// </summary>
public static class TreeSuite
{
    private static readonly int[] Changes = [1, 10, 1000];
    private static readonly long[] CheckpointSizes = [100_000, 1_000_000];
    private static readonly string[] ReadSystems = ["quire", "sqlite", "rocksdb"];

    public static void Run(BenchRun run)
    {
        var quick = run.Quick;
        var settings = new Settings(
            ReadKeys: quick ? 1_000_000L : 10_000_000L,
            CacheBytes: (quick ? 64L : 512L) * 1024 * 1024,
            ReplayOps: quick ? 200_000 : 1_000_000,
            Warmup: TimeSpan.FromSeconds(quick ? 0.2 : 1),
            Window: TimeSpan.FromSeconds(quick ? 0.5 : 3),
            Repeats: quick ? 2 : 3);
        var gcMax = TimeSpan.Zero;
        if (run.Includes("quire"))
        {
            foreach (var size in CheckpointSizes)
            {
                gcMax = Max(gcMax, CheckpointCases(run, size, settings));
            }
        }

        gcMax = Max(gcMax, ReadCases(run, settings));
        if (run.Includes("quire"))
        {
            run.Report.Add(new BenchResult("quire", "gc-pause-max", gcMax.TotalMilliseconds, "ms"));
        }

        Console.WriteLine();
        run.Report.Ratio("quire point-read-t4 / rocksdb point-read-t4", ("quire", "point-read-t4"), ("rocksdb", "point-read-t4"), 0.5);
        run.Report.Ratio("quire range100-t4 / rocksdb range100-t4", ("quire", "range100-t4"), ("rocksdb", "range100-t4"), 0.5);
    }

    /// <summary>Pages and bytes of a checkpoint after 1, 10 and 1000 random changes to a tree of <paramref name="size"/> keys; depth and replay at a million.</summary>
    private static TimeSpan CheckpointCases(BenchRun run, long size, Settings settings)
    {
        using var directory = new BenchDirectory("quire");
        Console.WriteLine($"  (quire: loading {size:N0} keys)");
        using var engine = StorageEngine.Open(directory.Path);
        BenchLoad.Quire(engine, size);
        engine.CheckpointAsync().GetAwaiter().GetResult();
        run.Gc.Reset();
        var random = new Random(3);
        foreach (var k in Changes)
        {
            using var batch = new WriteBatch();
            foreach (var key in Enumerable.Range(0, k).Select(_ => random.NextInt64(size)).Distinct())
            {
                batch.Put(BenchKeys.Key(key), BenchKeys.Value(random));
            }

            engine.CommitAsync(batch).AsTask().GetAwaiter().GetResult();
            var result = engine.CheckpointAsync().GetAwaiter().GetResult()!;
            run.Report.Add(new BenchResult("quire", $"checkpoint-pages-k{k}-n{size}", result.Pages, "pages"));
            run.Report.Add(new BenchResult("quire", $"checkpoint-bytes-k{k}-n{size}", result.Bytes, "bytes"));
        }

        if (size == 1_000_000)
        {
            run.Report.Add(new BenchResult("quire", "depth-n1000000", engine.TreeDepth, "levels"));
            run.Report.Add(new BenchResult("quire", "replay", Replay(engine, directory.Path, settings, random), "ops/s"));
        }

        return run.Gc.MaxPause;
    }

    /// <summary>
    /// Commits a log tail without a checkpoint, copies the files as a crash would leave
    /// them (every commit is synced), and opens the copy: ops replayed per second of open.
    /// </summary>
    private static double Replay(StorageEngine engine, string source, Settings settings, Random random)
    {
        for (var done = 0; done < settings.ReplayOps; done += 1000)
        {
            using var batch = new WriteBatch();
            for (var i = 0; i < 1000; i++)
            {
                batch.Put(BenchKeys.Key(random.NextInt64(1_000_000)), BenchKeys.Value(random));
            }

            engine.CommitAsync(batch).AsTask().GetAwaiter().GetResult();
        }

        using var copy = new BenchDirectory("quire-replay");
        CopyFiles(source, copy.Path);
        using var reopened = StorageEngine.Open(copy.Path, new StorageOptions { CheckpointInterval = TimeSpan.FromHours(1) });
        var replayed = reopened.LastSeq - reopened.CheckpointedSeq;
        Console.WriteLine($"  (quire: replayed {replayed:N0} ops in {reopened.OpenTime.TotalMilliseconds:F0} ms)");
        return replayed / reopened.OpenTime.TotalSeconds;
    }

    private static void CopyFiles(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            if (Path.GetFileName(file) != "LOCK")
            {
                File.Copy(file, target);
            }
        }
    }

    /// <summary>open-ms, point-read-t4 and range100-t4 on the largest database, every system in turn on each repeat.</summary>
    private static TimeSpan ReadCases(BenchRun run, Settings settings)
    {
        var systems = new List<(ReadPeer Peer, BenchDirectory Directory, List<double> Open, List<double> Point, List<double> Range)>();
        var gcMax = TimeSpan.Zero;
        try
        {
            foreach (var name in ReadSystems.Where(run.Includes))
            {
                var directory = new BenchDirectory(name);
                ReadPeer peer = name switch
                {
                    "quire" => new QuireReadPeer(directory.Path, settings.CacheBytes),
                    "sqlite" => new SqliteReadPeer(directory.Path, settings.CacheBytes),
                    _ => new RocksDbReadPeer(directory.Path, settings.CacheBytes),
                };
                Console.WriteLine($"  (building {name} with {settings.ReadKeys:N0} keys in key order)");
                var started = Stopwatch.GetTimestamp();
                peer.Build(settings.ReadKeys);
                Console.WriteLine($"  ({name} built in {Stopwatch.GetElapsedTime(started).TotalSeconds:F0} s)");
                systems.Add((peer, directory, [], [], []));
            }

            for (var r = 0; r < settings.Repeats; r++)
            {
                foreach (var (peer, _, open, point, range) in systems)
                {
                    run.Gc.Reset();
                    var random = new Random(r);
                    var started = Stopwatch.GetTimestamp();
                    peer.Open();
                    if (!peer.Get(BenchKeys.Key(random.NextInt64(settings.ReadKeys))))
                    {
                        throw new InvalidOperationException($"{peer.Name}: a loaded key is missing");
                    }

                    open.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    point.Add(Readers(settings, (random, keys) => peer.Get(BenchKeys.Key(random.NextInt64(keys))) ? 1 : throw new InvalidOperationException("missing key")));
                    range.Add(Readers(settings, (random, keys) => peer.Range(BenchKeys.Key(random.NextInt64(keys)), 100)));
                    peer.Close();
                    if (peer.Name == "quire")
                    {
                        gcMax = Max(gcMax, run.Gc.MaxPause);
                    }
                }
            }

            foreach (var (peer, _, open, point, range) in systems)
            {
                run.Report.Add(new BenchResult(peer.Name, "open-ms", Median.Of(open), "ms"));
                run.Report.Add(new BenchResult(peer.Name, "point-read-t4", Median.Of(point), "ops/s"));
                run.Report.Add(new BenchResult(peer.Name, "range100-t4", Median.Of(range), "ops/s"));
            }
        }
        finally
        {
            foreach (var (peer, directory, _, _, _) in systems)
            {
                peer.Dispose();
                directory.Dispose();
            }
        }

        return gcMax;
    }

    /// <summary>Four reader threads for a window after a warm-up: operations per second.</summary>
    private static double Readers(Settings settings, Func<Random, long, int> read) =>
        ReaderThreads.Rate(4, settings.Warmup, settings.Window, random => read(random, settings.ReadKeys));

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private sealed record Settings(long ReadKeys, long CacheBytes, int ReplayOps, TimeSpan Warmup, TimeSpan Window, int Repeats);
}
