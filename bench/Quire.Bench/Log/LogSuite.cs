using System.Diagnostics;
using Quire.Bench.Harness;

namespace Quire.Bench.Log;

/// <summary>
/// Suite <c>log</c>: the disk's fsync rate, the group-commit reference loop, then
/// Quire, SQLite and RocksDB on the same cases, one after another in this process,
/// each in a fresh directory under the system temp dir.
/// </summary>
public static class LogSuite
{
    private static readonly int[] Concurrency = [1, 16, 64, 256];

    public static void Run(BenchRun run)
    {
        var (report, quick, gc) = (run.Report, run.Quick, run.Gc);
        var preload = quick ? 100_000L : 1_000_000L;
        var warmup = TimeSpan.FromSeconds(quick ? 0.3 : 1);
        var window = TimeSpan.FromSeconds(quick ? 1.2 : 4);
        var repeats = quick ? 1 : 3;
        var batches = quick ? 40 : 300;

        if (run.Includes("disk"))
        {
            using var dir = new BenchDirectory("disk");
            report.Add(new BenchResult("disk", "fsync", Median.Of(repeats, () => DiskFsync.Append(Fresh(dir.Path), window)), "ops/s"));
            report.Add(new BenchResult("disk", "fsync-prewritten", Median.Of(repeats, () => DiskFsync.Prewritten(Fresh(dir.Path), window, 64L * 1024 * 1024)), "ops/s"));
        }

        if (run.Includes("groupref"))
        {
            using var dir = new BenchDirectory("groupref");
            using var reference = new GroupReference(dir.Path);
            foreach (var c in Concurrency)
            {
                var record = new byte[BenchKeys.ValueSize];
                var rate = Median.Of(repeats, () => ClosedLoop.RunAsync(c, warmup, window, (_, _) => new ValueTask(reference.AppendAsync(record))));
                report.Add(new BenchResult("groupref", $"put-c{c}", rate, "ops/s"));
            }
        }

        if (run.Includes("quire"))
        {
            RunPeer(report, "quire", d => new QuirePeer(d), preload, warmup, window, repeats, batches, gc);
        }

        if (run.Includes("sqlite"))
        {
            RunPeer(report, "sqlite", d => new SqlitePeer(d), preload, warmup, window, repeats, batches, null);
        }

        if (run.Includes("rocksdb"))
        {
            RunPeer(report, "rocksdb", d => new RocksDbPeer(d), preload, warmup, window, repeats, batches, null);
        }

        Console.WriteLine();
        report.Ratio("quire put-c1 / sqlite put-c1", ("quire", "put-c1"), ("sqlite", "put-c1"), 1.5);
        report.Ratio("quire put-c64 / groupref put-c64", ("quire", "put-c64"), ("groupref", "put-c64"), 0.6);
        report.Ratio("quire put-c64 / sqlite put-c64", ("quire", "put-c64"), ("sqlite", "put-c64"), 20);
        report.Ratio("quire put-c64 / rocksdb put-c64", ("quire", "put-c64"), ("rocksdb", "put-c64"), 3);
        report.Ratio("quire batch1000 / rocksdb batch1000", ("quire", "batch1000"), ("rocksdb", "batch1000"), 1.5);
    }

    private static void RunPeer(
        BenchReport report, string name, Func<string, KeyValuePeer> create, long preload,
        TimeSpan warmup, TimeSpan window, int repeats, int batches, GcPauseMonitor? gc)
    {
        using var dir = new BenchDirectory(name);
        KeyValuePeer peer;
        try
        {
            peer = create(dir.Path);
            peer.Preload(preload);
        }
        catch (Exception ex)
        {
            foreach (var c in Concurrency)
            {
                report.Add(new BenchResult(name, $"put-c{c}", null, "ops/s", ex.Message));
            }

            report.Add(new BenchResult(name, "batch1000", null, "puts/s", ex.Message));
            return;
        }

        using (peer)
        {
            gc?.Reset();
            var diskBefore = DiskCounters.WrittenBytes();
            long userBytes = 0;
            var pairBytes = 16 + BenchKeys.ValueSize;
            foreach (var c in Concurrency)
            {
                var buffers = new BenchKeys.WriterBuffers(c);
                var rate = Median.Of(repeats, () =>
                {
                    var value = peer.Blocking
                        ? ClosedLoop.RunBlocking(c, warmup, window, (w, r) =>
                        {
                            peer.Put(w, buffers.Key(w, r, preload), buffers.Value(w, r));
                            Interlocked.Add(ref userBytes, pairBytes);
                        })
                        : ClosedLoop.RunAsync(c, warmup, window, async (w, r) =>
                        {
                            await peer.PutAsync(w, buffers.Key(w, r, preload), buffers.Value(w, r));
                            Interlocked.Add(ref userBytes, pairBytes);
                        });
                    return value;
                });
                report.Add(new BenchResult(name, $"put-c{c}", rate, "ops/s"));
            }

            var batchRate = Median.Of(repeats, () =>
            {
                var random = new Random(11);
                var started = Stopwatch.GetTimestamp();
                for (var b = 0; b < batches; b++)
                {
                    var pairs = new (byte[], byte[])[1000];
                    for (var i = 0; i < pairs.Length; i++)
                    {
                        pairs[i] = (BenchKeys.RandomKey(random, preload), BenchKeys.Value(random));
                    }

                    peer.CommitBatchAsync(pairs).AsTask().GetAwaiter().GetResult();
                    userBytes += 1000L * pairBytes;
                }

                // Deferred work (a checkpoint or memtable flush) is inside the clock.
                peer.Checkpoint();
                return batches * 1000 / Stopwatch.GetElapsedTime(started).TotalSeconds;
            });
            report.Add(new BenchResult(name, "batch1000", batchRate, "puts/s"));

            var diskAfter = DiskCounters.WrittenBytes();
            if (diskBefore >= 0 && userBytes > 0)
            {
                report.Add(new BenchResult(name, "write-amp", (double)(diskAfter - diskBefore) / userBytes, "x"));
            }

            if (gc is not null)
            {
                report.Add(new BenchResult(name, "gc-pause-max", gc.MaxPause.TotalMilliseconds, "ms"));
            }
        }
    }

    private static string Fresh(string parent)
    {
        var path = Path.Combine(parent, Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        return path;
    }
}
