using System.Security.Cryptography;
using Quire.Bench.Harness;
using Quire.Bench.Log;
using Quire.Bench.Tree;
using Quire.Storage.Crypto;
using Quire.Storage.Engine;

namespace Quire.Bench.Encryption;

/// <summary>
/// Suite <c>encryption</c>: what sealing pages and log records (AES-256-GCM) costs. The
/// log suite's put-c64 on a plaintext and an encrypted engine, preloaded alike, and
/// point-read-t4 on a database four times larger than its memory budget, so reads load
/// (and open) pages; each repeat runs both in turn, so drift in the shared disk falls on both.
/// </summary>
public static class EncryptionSuite
{
    public static void Run(BenchRun run)
    {
        var key = MasterKey.FromBytes(RandomNumberGenerator.GetBytes(32));
        Writes(run, key);
        Reads(run, key);

        var report = run.Report;
        Console.WriteLine();
        report.Ratio("put-c64-encrypted / put-c64-plain", ("quire", "put-c64-encrypted"), ("quire", "put-c64-plain"), 0.85);
        report.Ratio("point-read-t4-encrypted / point-read-t4-plain", ("quire", "point-read-t4-encrypted"), ("quire", "point-read-t4-plain"), 0.85);
    }

    private static void Writes(BenchRun run, MasterKey key)
    {
        var quick = run.Quick;
        var settings = new LogSettings(
            Preload: quick ? 100_000L : 1_000_000L,
            Warmup: TimeSpan.FromSeconds(quick ? 0.3 : 1),
            Window: TimeSpan.FromSeconds(quick ? 0.6 : 3),
            Repeats: quick ? 2 : 5,
            Batches: quick ? 20 : 200);
        var systems = new List<MeasuredSystem>();
        try
        {
            foreach (var (suffix, options) in new[] { ("plain", new StorageOptions()), ("encrypted", new StorageOptions { MasterKey = key }) })
            {
                var system = new MeasuredSystem($"quire-{suffix}");
                systems.Add(system);
                Console.WriteLine($"  (opening quire {suffix} and loading {settings.Preload:N0} keys)");
                system.Peer = new QuirePeer(system.Directory.Path, options);
                system.Peer.Preload(settings.Preload);
                system.Peer.WaitUntilQuiet();
            }

            for (var r = 0; r < settings.Repeats; r++)
            {
                foreach (var system in systems)
                {
                    system.Measure(run.Gc, () => system.PutRate(64, settings));
                }
            }

            foreach (var system in systems)
            {
                run.Report.Add(system.Result($"put-c64-{system.Name["quire-".Length..]}", "ops/s") with { System = "quire" });
            }
        }
        finally
        {
            foreach (var system in systems)
            {
                system.Dispose();
            }
        }
    }

    private static void Reads(BenchRun run, MasterKey key)
    {
        var quick = run.Quick;
        var keys = quick ? 500_000L : 2_000_000L;
        var cacheBytes = (quick ? 16L : 64L) * 1024 * 1024;
        var (warmup, window, repeats) = (TimeSpan.FromSeconds(quick ? 0.3 : 1), TimeSpan.FromSeconds(quick ? 0.6 : 3), quick ? 2 : 5);
        var peers = new List<(string Suffix, QuireReadPeer Peer, BenchDirectory Directory, List<double> Rates)>();
        try
        {
            foreach (var (suffix, master) in new[] { ("plain", (MasterKey?)null), ("encrypted", key) })
            {
                var directory = new BenchDirectory($"quire-read-{suffix}");
                var peer = new QuireReadPeer(directory.Path, cacheBytes, master);
                Console.WriteLine($"  (building quire {suffix} with {keys:N0} keys, {cacheBytes >> 20} MiB of cache)");
                peer.Build(keys);
                peers.Add((suffix, peer, directory, []));
            }

            for (var r = 0; r < repeats; r++)
            {
                foreach (var (_, peer, _, rates) in peers)
                {
                    peer.Open();
                    rates.Add(ReaderThreads.Rate(4, warmup, window, random =>
                    {
                        if (!peer.Get(BenchKeys.Key(random.NextInt64(keys))))
                        {
                            throw new InvalidOperationException("a loaded key is missing");
                        }
                    }));
                    peer.Close();
                }
            }

            foreach (var (suffix, _, _, rates) in peers)
            {
                run.Report.Add(new BenchResult("quire", $"point-read-t4-{suffix}", Median.Of(rates), "ops/s"));
            }
        }
        finally
        {
            foreach (var (_, peer, directory, _) in peers)
            {
                peer.Dispose();
                directory.Dispose();
            }
        }
    }
}
