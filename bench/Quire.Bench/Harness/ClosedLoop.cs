using System.Diagnostics;

namespace Quire.Bench.Harness;

/// <summary>
/// Runs N writers in a closed loop (each waits for its commit before the next) and
/// measures completed operations per second over a window after a warm-up.
/// Async systems run as N tasks; blocking APIs (SQLite, RocksDB) as N threads, so a
/// blocked call never starves the thread pool and skews the peer's figure. After the
/// window the writers stop and <c>settle</c> runs (a checkpoint, a flush) inside the
/// clock, so work a system defers is counted.
/// </summary>
public static class ClosedLoop
{
    public static double RunAsync(int writers, TimeSpan warmup, TimeSpan window, Func<int, Random, ValueTask> operation, Action settle)
    {
        long completed = 0;
        var stop = false;
        var tasks = Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            var random = new Random(w * 7919 + 1);
            while (!Volatile.Read(ref stop))
            {
                await operation(w, random);
                Interlocked.Increment(ref completed);
            }
        })).ToArray();
        Thread.Sleep(warmup);
        var start = Interlocked.Read(ref completed);
        var started = Stopwatch.GetTimestamp();
        Thread.Sleep(window);
        Volatile.Write(ref stop, true);
        Task.WaitAll(tasks);
        settle();
        return (Interlocked.Read(ref completed) - start) / Stopwatch.GetElapsedTime(started).TotalSeconds;
    }

    public static double RunBlocking(int writers, TimeSpan warmup, TimeSpan window, Action<int, Random> operation, Action settle)
    {
        long completed = 0;
        var stop = false;
        var threads = Enumerable.Range(0, writers).Select(w => new Thread(() =>
        {
            var random = new Random(w * 7919 + 1);
            while (!Volatile.Read(ref stop))
            {
                operation(w, random);
                Interlocked.Increment(ref completed);
            }
        }) { IsBackground = true }).ToArray();
        foreach (var thread in threads)
        {
            thread.Start();
        }

        Thread.Sleep(warmup);
        var start = Interlocked.Read(ref completed);
        var started = Stopwatch.GetTimestamp();
        Thread.Sleep(window);
        Volatile.Write(ref stop, true);
        foreach (var thread in threads)
        {
            thread.Join();
        }

        settle();
        return (Interlocked.Read(ref completed) - start) / Stopwatch.GetElapsedTime(started).TotalSeconds;
    }
}
