using System.Diagnostics;

namespace Quire.Bench.Harness;

/// <summary>Reader threads, each with its own seeded random, counted over a window after a warm-up.</summary>
internal static class ReaderThreads
{
    /// <summary>Operations per second of <paramref name="threads"/> threads calling <paramref name="read"/> in a loop.</summary>
    public static double Rate(int threads, TimeSpan warmup, TimeSpan window, Action<Random> read)
    {
        long completed = 0;
        var stop = false;
        var running = Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            var random = new Random(t + 17);
            while (!Volatile.Read(ref stop))
            {
                read(random);
                Interlocked.Increment(ref completed);
            }
        }) { IsBackground = true }).ToArray();
        foreach (var thread in running)
        {
            thread.Start();
        }

        Thread.Sleep(warmup);
        var start = Interlocked.Read(ref completed);
        var started = Stopwatch.GetTimestamp();
        Thread.Sleep(window);
        var rate = (Interlocked.Read(ref completed) - start) / Stopwatch.GetElapsedTime(started).TotalSeconds;
        Volatile.Write(ref stop, true);
        foreach (var thread in running)
        {
            thread.Join();
        }

        return rate;
    }
}
