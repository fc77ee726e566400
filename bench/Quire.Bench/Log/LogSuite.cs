using System.Diagnostics;
using Quire.Bench.Harness;

namespace Quire.Bench.Log;

/// <summary>
/// Suite <c>log</c>: the disk's fsync rate, then the group-commit reference loop,
/// Quire, SQLite and RocksDB on the same cases in this process, each in a fresh
/// directory under the system temp dir. All systems are opened and preloaded first;
/// then every repeat of a case runs each system in turn, so a drift in the shared
/// disk's speed falls on all of them alike rather than on whichever ran last.
/// </summary>
public static class LogSuite
{
    private static readonly int[] Concurrency = [1, 16, 64, 256];

    public static void Run(BenchRun run)
    {
        var (report, quick) = (run.Report, run.Quick);
        var settings = new Settings(
            Preload: quick ? 100_000L : 1_000_000L,
            Warmup: TimeSpan.FromSeconds(quick ? 0.3 : 1),
            Window: TimeSpan.FromSeconds(quick ? 0.6 : 3),
            Repeats: quick ? 2 : 3,
            Batches: quick ? 20 : 200);

        if (run.Includes("disk"))
        {
            using var dir = new BenchDirectory("disk");
            report.Add(new BenchResult("disk", "fsync", Median.Of(settings.Repeats, () => DiskFsync.Append(Fresh(dir.Path), settings.Window)), "ops/s"));
            report.Add(new BenchResult("disk", "fsync-prewritten", Median.Of(settings.Repeats, () => DiskFsync.Prewritten(Fresh(dir.Path), settings.Window, 64L * 1024 * 1024)), "ops/s"));
        }

        var systems = new List<SystemUnderTest>();
        try
        {
            Open(run, systems, "groupref", d => new GroupReferencePeer(d), settings);
            Open(run, systems, "quire", d => new QuirePeer(d), settings);
            Open(run, systems, "sqlite", d => new SqlitePeer(d), settings);
            Open(run, systems, "rocksdb", d => new RocksDbPeer(d), settings);

            foreach (var c in Concurrency)
            {
                foreach (var system in systems)
                {
                    system.Samples.Clear();
                }

                for (var r = 0; r < settings.Repeats; r++)
                {
                    foreach (var system in systems.Where(s => s.Peer is not null))
                    {
                        system.Measure(run.Gc, () => system.PutRate(c, settings));
                    }
                }

                foreach (var system in systems)
                {
                    report.Add(system.Result($"put-c{c}", "ops/s"));
                }
            }

            foreach (var system in systems.Where(s => s.Name != "groupref"))
            {
                system.Samples.Clear();
            }

            for (var r = 0; r < settings.Repeats; r++)
            {
                foreach (var system in systems.Where(s => s.Peer is not null && s.Name != "groupref"))
                {
                    system.Measure(run.Gc, () => system.BatchRate(settings, run.Gc));
                }
            }

            foreach (var system in systems.Where(s => s.Name != "groupref"))
            {
                report.Add(system.Result("batch1000", "puts/s"));
                if (system.Peer is not null && system.UserBytes > 0 && system.DiskBytes >= 0)
                {
                    report.Add(new BenchResult(system.Name, "write-amp", (double)system.DiskBytes / system.UserBytes, "x"));
                }

                if (system.Name == "quire")
                {
                    report.Add(new BenchResult(system.Name, "gc-pause-max", system.GcPauseMax.TotalMilliseconds, "ms"));
                }
            }
        }
        finally
        {
            foreach (var system in systems)
            {
                system.Dispose();
            }
        }

        Console.WriteLine();
        report.Ratio("quire put-c1 / sqlite put-c1", ("quire", "put-c1"), ("sqlite", "put-c1"), 1.5);
        report.Ratio("quire put-c64 / groupref put-c64", ("quire", "put-c64"), ("groupref", "put-c64"), 0.6);
        report.Ratio("quire put-c64 / sqlite put-c64", ("quire", "put-c64"), ("sqlite", "put-c64"), 20);
        report.Ratio("quire put-c64 / rocksdb put-c64", ("quire", "put-c64"), ("rocksdb", "put-c64"), 3);
        report.Ratio("quire batch1000 / rocksdb batch1000", ("quire", "batch1000"), ("rocksdb", "batch1000"), 1.5);
    }

    private static void Open(BenchRun run, List<SystemUnderTest> systems, string name, Func<string, KeyValuePeer> create, Settings settings)
    {
        if (!run.Includes(name))
        {
            return;
        }

        var system = new SystemUnderTest(name);
        systems.Add(system);
        try
        {
            Console.WriteLine($"  (opening {name} and loading {(name == "groupref" ? 0 : settings.Preload):N0} keys)");
            system.Peer = create(system.Directory.Path);
            system.Peer.Preload(settings.Preload);
            system.Peer.WaitUntilQuiet();
        }
        catch (Exception ex)
        {
            system.Error = ex.Message;
            system.Peer?.Dispose();
            system.Peer = null;
        }
    }

    private static string Fresh(string parent)
    {
        var path = Path.Combine(parent, Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        return path;
    }

    private sealed record Settings(long Preload, TimeSpan Warmup, TimeSpan Window, int Repeats, int Batches);

    /// <summary>One system of the suite with what its measurements gathered.</summary>
    private sealed class SystemUnderTest(string name) : IDisposable
    {
        private const int PairBytes = 16 + BenchKeys.ValueSize;
        private long _userBytes;

        public string Name { get; } = name;

        public BenchDirectory Directory { get; } = new(name);

        public KeyValuePeer? Peer { get; set; }

        public string? Error { get; set; }

        public List<double> Samples { get; } = [];

        public long UserBytes => Interlocked.Read(ref _userBytes);

        public long DiskBytes { get; private set; }

        public TimeSpan GcPauseMax { get; private set; }

        public void Measure(GcPauseMonitor gc, Func<double> measure)
        {
            gc.Reset();
            var disk = DiskCounters.WrittenBytes();
            Samples.Add(measure());
            Peer?.WaitUntilQuiet();
            DiskBytes += DiskCounters.WrittenBytes() - disk;
            if (gc.MaxPause > GcPauseMax)
            {
                GcPauseMax = gc.MaxPause;
            }
        }

        public BenchResult Result(string caseName, string unit) =>
            Samples.Count == 0
                ? new BenchResult(Name, caseName, null, unit, Error ?? "not measured")
                : new BenchResult(Name, caseName, Median.Of(Samples), unit);

        public double PutRate(int writers, Settings settings)
        {
            var peer = Peer!;
            var buffers = new BenchKeys.WriterBuffers(writers);
            return peer.Blocking
                ? ClosedLoop.RunBlocking(
                    writers,
                    settings.Warmup,
                    settings.Window,
                    (w, r) =>
                    {
                        peer.Put(w, buffers.Key(w, r, settings.Preload), buffers.Value(w, r));
                        Interlocked.Add(ref _userBytes, PairBytes);
                    },
                    peer.Checkpoint)
                : ClosedLoop.RunAsync(
                    writers,
                    settings.Warmup,
                    settings.Window,
                    async (w, r) =>
                    {
                        await peer.PutAsync(w, buffers.Key(w, r, settings.Preload), buffers.Value(w, r));
                        Interlocked.Add(ref _userBytes, PairBytes);
                    },
                    peer.Checkpoint);
        }

        public double BatchRate(Settings settings, GcPauseMonitor gc)
        {
            // The data is made before the clock starts: the store is measured, not the generator.
            var random = new Random(11 + Samples.Count);
            var batches = Enumerable.Range(0, settings.Batches).Select(_ => new BatchData(random, 1000, settings.Preload)).ToArray();

            // Settle the generator's garbage now, so its collection is not counted as the system's pause.
            GC.Collect();
            GC.WaitForPendingFinalizers();
            gc.Reset();
            var started = Stopwatch.GetTimestamp();
            foreach (var batch in batches)
            {
                Peer!.CommitBatchAsync(batch).AsTask().GetAwaiter().GetResult();
                Interlocked.Add(ref _userBytes, 1000L * PairBytes);
            }

            // Deferred work (a checkpoint, a memtable flush) is inside the clock.
            Peer!.Checkpoint();
            return settings.Batches * 1000 / Stopwatch.GetElapsedTime(started).TotalSeconds;
        }

        public void Dispose()
        {
            Peer?.Dispose();
            Directory.Dispose();
        }
    }
}
