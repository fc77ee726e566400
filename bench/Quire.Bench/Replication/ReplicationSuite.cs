using System.Diagnostics;
using System.Text.Json;
using Quire.Bench.Harness;
using Quire.Bench.Http;

namespace Quire.Bench.Replication;

/// <summary>
/// Suite <c>replication</c>: primaries and replicas as server processes (<c>quire serve</c>,
/// each its own directory, sync durability), on loopback. <c>put-c64</c> (no replica) and
/// <c>put-c64-sync1</c> (one synchronous replica) are 64 HTTP/1.1 writers in a closed loop,
/// same run; <c>lag-p99-ms</c> is the 99th percentile of the time from a seq being visible
/// on an asynchronous primary to it being visible on its replica, both polled every
/// millisecond, while writers are paced at 10,000 puts/s; <c>catchup</c> is the rate at
/// which a replica stopped while the primary took N puts (1,000,000; 100,000 with
/// --quick) applies them when it comes back; <c>bootstrap-s-n1000000</c> is the time from
/// starting a new replica of a primary holding 1,000,000 documents to it serving the primary's
/// last seq (it copies the database, then follows the log).
/// </summary>
public static class ReplicationSuite
{
    public static void Run(BenchRun run)
    {
        var report = run.Report;
        var warmup = TimeSpan.FromSeconds(run.Quick ? 0.5 : 3);
        var window = TimeSpan.FromSeconds(run.Quick ? 2 : 5);
        using var dir = new BenchDirectory("quire-replication");

        using (var solo = Node(Path.Combine(dir.Path, "solo"), null, 0))
        {
            report.Add(new BenchResult("quire", "put-c64", PutC64(solo, warmup, window), "ops/s"));
        }

        using (var primary = Node(Path.Combine(dir.Path, "sync-primary"), null, 1))
        using (var replica = Node(Path.Combine(dir.Path, "sync-replica"), primary.Url, 0))
        {
            replica.WaitForDatabase("bench", primary);
            report.Add(new BenchResult("quire", "put-c64-sync1", PutC64(primary, warmup, window), "ops/s"));
        }

        var asyncPrimary = Node(Path.Combine(dir.Path, "primary"), null, 0);
        var asyncReplica = Node(Path.Combine(dir.Path, "replica"), asyncPrimary.Url, 0);
        try
        {
            asyncReplica.WaitForDatabase("bench", asyncPrimary);
            report.Add(new BenchResult("quire", "lag-p99-ms", LagP99(asyncPrimary, asyncReplica, window), "ms"));

            asyncReplica.Dispose();   // its hold keeps the primary's log for it
            var behind = run.Quick ? 100_000 : 1_000_000;
            var from = asyncPrimary.Seq("bench");
            Load(asyncPrimary, behind);
            var target = asyncPrimary.Seq("bench");
            asyncReplica = Node(Path.Combine(dir.Path, "replica"), asyncPrimary.Url, 0);
            var clock = Stopwatch.StartNew();   // from when the replica answers: its process start is not replication
            from = Math.Max(from, asyncReplica.Seq("bench"));
            while (asyncReplica.Seq("bench") < target)
            {
                Thread.Sleep(5);
            }

            report.Add(new BenchResult("quire", "catchup", (target - from) / clock.Elapsed.TotalSeconds, "ops/s"));
        }
        finally
        {
            asyncReplica.Dispose();
            asyncPrimary.Dispose();
        }

        using (var primary = Node(Path.Combine(dir.Path, "copied-primary"), null, 0))
        {
            LoadBatches(primary, 1_000_000);
            var target = primary.Seq("bench");
            if (target < 1_000_000 - 1)
            {
                throw new InvalidOperationException($"the primary took {target + 1} of 1,000,000 puts");
            }

            var clock = Stopwatch.StartNew();
            using var replica = Node(Path.Combine(dir.Path, "copied-replica"), primary.Url, 0);
            while (replica.Seq("bench") < target)
            {
                Thread.Sleep(5);
            }

            report.Add(new BenchResult("quire", "bootstrap-s-n1000000", clock.Elapsed.TotalSeconds, "s"));
        }

        Console.WriteLine();
        report.Ratio("quire put-c64-sync1 / put-c64", ("quire", "put-c64-sync1"), ("quire", "put-c64"), 0.5);
        Console.WriteLine("  goals: lag-p99-ms < 50, catchup >= 300,000 ops/s, bootstrap-s-n1000000 < 15");
    }

    private static string PutBody(long n) => "{\"coll\": \"kv\", \"id\": \"k" + n + "\", \"doc\": {\"v\": " + n + ", \"pad\": \"" + new string('x', 150) + "\"}}";

    /// <summary>64 HTTP/1.1 writers in a closed loop on the node's database <c>bench</c>: puts per second.</summary>
    internal static double PutC64(ServerNode node, TimeSpan warmup, TimeSpan window)
    {
        var connections = Enumerable.Range(0, 64).Select(_ => RawHttp1Connection.ConnectAsync(node.Port).GetAwaiter().GetResult()).ToArray();
        try
        {
            long n = 0;
            return ClosedLoop.RunAsync(64, warmup, window, async (w, r) => await connections[w].PostAsync("/v1/databases/bench/put", PutBody(Interlocked.Increment(ref n))), () => { });
        }
        finally
        {
            foreach (var connection in connections)
            {
                connection.Dispose();
            }
        }
    }

    /// <summary>N puts from 64 writers, as fast as the primary takes them.</summary>
    private static void Load(ServerNode node, int count)
    {
        var connections = Enumerable.Range(0, 64).Select(_ => RawHttp1Connection.ConnectAsync(node.Port).GetAwaiter().GetResult()).ToArray();
        long n = 0;
        Task.WaitAll([.. connections.Select(async c =>
        {
            while (Interlocked.Increment(ref n) is var i && i <= count)
            {
                await c.PostAsync("/v1/databases/bench/put", PutBody(1_000_000_000 + i));
            }
        })]);
        foreach (var connection in connections)
        {
            connection.Dispose();
        }
    }

    /// <summary>N documents in batches of 1,000 from 4 writers: a large database, quickly.</summary>
    private static void LoadBatches(ServerNode node, int count)
    {
        const int PerBatch = 1000;
        var connections = Enumerable.Range(0, 4).Select(_ => RawHttp1Connection.ConnectAsync(node.Port).GetAwaiter().GetResult()).ToArray();
        long batches = 0;
        Task.WaitAll([.. connections.Select(async c =>
        {
            while (Interlocked.Increment(ref batches) - 1 is var b && b * PerBatch < count)
            {
                var ops = string.Join(", ", Enumerable.Range(0, PerBatch).Select(i => "{\"op\": \"put\", " + PutBody(3_000_000_000L + (b * PerBatch) + i)[1..]));
                await c.PostAsync("/v1/databases/bench/batch", "{\"ops\": [" + ops + "]}");
            }
        })]);
        foreach (var connection in connections)
        {
            connection.Dispose();
        }
    }

    /// <summary>
    /// Writers paced at 10,000 puts/s; each put's seq and the time its acknowledgement
    /// arrived; the replica's seq watched about every millisecond (<see cref="SeqWatcher"/>):
    /// the p99 of how long after its acknowledgement each write was visible on the replica.
    /// </summary>
    private static double LagP99(ServerNode primary, ServerNode replica, TimeSpan window)
    {
        var connections = Enumerable.Range(0, 64).Select(_ => RawHttp1Connection.ConnectAsync(primary.Port).GetAwaiter().GetResult()).ToArray();
        using var stop = new CancellationTokenSource(window);
        long n = 0;
        var started = Stopwatch.StartNew();
        var acked = new System.Collections.Concurrent.ConcurrentBag<(double Ms, long Seq)>();
        using var watcher = new SeqWatcher(replica.Port, "bench", started);
        var writers = connections.Select(async (c, w) =>
        {
            for (long i = 0; !stop.IsCancellationRequested; i++)
            {
                var due = TimeSpan.FromSeconds(i * 64 / 10_000.0);   // each writer's share of 10,000/s
                if (due > started.Elapsed)
                {
                    await Task.Delay(due - started.Elapsed);
                }

                await c.PostAsync("/v1/databases/bench/put", PutBody(2_000_000_000L + Interlocked.Increment(ref n)));
                var at = started.Elapsed.TotalMilliseconds;
                acked.Add((at, SeqOf(c.LastBody)));
            }
        }).ToArray();

        Task.WaitAll(writers);
        Thread.Sleep(1000);   // the last writes reach the replica
        watcher.Dispose();
        foreach (var connection in connections)
        {
            connection.Dispose();
        }

        var seen = watcher.Seen;
        var lags = new List<double>();
        foreach (var (ms, seq) in acked)
        {
            var at = seen.FindIndex(s => s.Seq >= seq);
            if (at >= 0)
            {
                lags.Add(Math.Max(0, seen[at].Ms - ms));
            }
        }

        lags.Sort();
        if (lags.Count > 0)
        {
            Console.WriteLine($"  (lag ms: p50 {lags[lags.Count / 2]:F1}, p90 {lags[lags.Count * 9 / 10]:F1}, max {lags[^1]:F1}; {lags.Count} writes, {seen.Count} replica seqs seen)");
        }

        return lags.Count == 0 ? double.NaN : lags[(int)Math.Min(lags.Count - 1, Math.Ceiling(lags.Count * 0.99) - 1)];
    }

    private static long SeqOf(ReadOnlySpan<byte> body)
    {
        var reader = new Utf8JsonReader(body);
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.PropertyName && reader.ValueTextEquals("seq") && reader.Read())
            {
                return reader.GetInt64();
            }
        }

        throw new InvalidOperationException("a put's answer without its seq");
    }

    /// <summary>A primary (creating the <c>bench</c> database) or a replica of <paramref name="replicaOf"/>.</summary>
    private static ServerNode Node(string dataRoot, string? replicaOf, int syncReplicas) =>
        replicaOf is null
            ? ServerNode.Start(dataRoot, "bench", null, "--sync-replicas", $"{syncReplicas}")
            : ServerNode.Start(dataRoot, null, null, "--sync-replicas", $"{syncReplicas}", "--replica-of", replicaOf);
}
