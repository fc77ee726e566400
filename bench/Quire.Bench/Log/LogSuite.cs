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
        var settings = LogSettings.For(quick, repeats: 3);

        if (run.Includes("disk"))
        {
            using var dir = new BenchDirectory("disk");
            report.Add(new BenchResult("disk", "fsync", Median.Of(settings.Repeats, () => DiskFsync.Append(Fresh(dir.Path), settings.Window)), "ops/s"));
            report.Add(new BenchResult("disk", "fsync-prewritten", Median.Of(settings.Repeats, () => DiskFsync.Prewritten(Fresh(dir.Path), settings.Window, 64L * 1024 * 1024)), "ops/s"));
        }

        var systems = new List<MeasuredSystem>();
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

    internal static void Open(BenchRun run, List<MeasuredSystem> systems, string name, Func<string, KeyValuePeer> create, LogSettings settings)
    {
        if (!run.Includes(name))
        {
            return;
        }

        var system = new MeasuredSystem(name);
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
}
