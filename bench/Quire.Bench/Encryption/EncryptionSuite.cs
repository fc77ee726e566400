using System.Security.Cryptography;
using Quire.Bench.Harness;
using Quire.Bench.Log;
using Quire.Bench.Tree;
using Quire.Storage.Crypto;
using Quire.Storage.Engine;

namespace Quire.Bench.Encryption;

/// <summary>
/// Suite <c>encryption</c>: what sealing pages and log records (AES-256-GCM) costs. The
/// log suite's put-c64 on a plaintext and an encrypted engine, preloaded alike;
/// point-read-t4 on a database four times larger than its memory budget, so reads load
/// (and open) pages, and point-read-t4-cached on the same databases held in memory whole;
/// each repeat runs both in turn, so drift in the shared disk falls on both.
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
        report.Ratio("point-read-t4-cached-encrypted / point-read-t4-cached-plain", ("quire", "point-read-t4-cached-encrypted"), ("quire", "point-read-t4-cached-plain"), 0.85);
    }

    private static void Writes(BenchRun run, MasterKey key)
    {
        var quick = run.Quick;
        var settings = LogSettings.For(quick, repeats: 5);
        var systems = EngineVariants.Open(settings, [("plain", new StorageOptions()), ("encrypted", new StorageOptions { MasterKey = key })]);
        try
        {
            EngineVariants.Measure(run, systems, settings.Repeats, "put-c64", "ops/s", system => system.PutRate(64, settings));
        }
        finally
        {
            EngineVariants.Dispose(systems);
        }
    }

    /// <summary>
    /// point-read-t4 on a plaintext and an encrypted database (and, with <paramref name="cached"/>,
    /// point-read-t4-cached); <paramref name="name"/> names each case as the suite reports it.
    /// </summary>
    internal static void Reads(BenchRun run, MasterKey key, bool cached = true, Func<string, string>? name = null)
    {
        name ??= n => n;
        var quick = run.Quick;
        var keys = quick ? 500_000L : 2_000_000L;
        var cacheBytes = (quick ? 16L : 64L) * 1024 * 1024;
        var (warmup, window, repeats) = (TimeSpan.FromSeconds(quick ? 0.3 : 1), TimeSpan.FromSeconds(quick ? 0.6 : 3), quick ? 2 : 5);
        var directories = new List<BenchDirectory>();
        var cases = new List<ReadCase>();
        try
        {
            foreach (var (suffix, master) in new[] { ("plain", (MasterKey?)null), ("encrypted", key) })
            {
                var directory = new BenchDirectory($"quire-read-{suffix}");
                directories.Add(directory);
                var peer = new QuireReadPeer(directory.Path, cacheBytes, master);
                Console.WriteLine($"  (building quire {suffix} with {keys:N0} keys, {cacheBytes >> 20} MiB of cache)");
                peer.Build(keys);
                cases.Add(new ReadCase(name($"point-read-t4-{suffix}"), peer, Warm: false));
                if (cached)
                {
                    // The same database with a cache larger than it: once warm, reads never load a page.
                    cases.Add(new ReadCase(name($"point-read-t4-cached-{suffix}"), new QuireReadPeer(directory.Path, 1L << 30, master), Warm: true));
                }
            }

            for (var r = 0; r < repeats; r++)
            {
                foreach (var (_, peer, warm, rates) in cases)
                {
                    peer.Open();
                    if (warm)
                    {
                        _ = peer.Range([], int.MaxValue);
                    }

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

            foreach (var (caseName, _, _, rates) in cases)
            {
                run.Report.Add(new BenchResult("quire", caseName, Median.Of(rates), "ops/s"));
            }
        }
        finally
        {
            foreach (var readCase in cases)
            {
                readCase.Peer.Dispose();
            }

            foreach (var directory in directories)
            {
                directory.Dispose();
            }
        }
    }

    private sealed record ReadCase(string Name, QuireReadPeer Peer, bool Warm)
    {
        public List<double> Rates { get; } = [];

        public void Deconstruct(out string name, out QuireReadPeer peer, out bool warm, out List<double> rates) =>
            (name, peer, warm, rates) = (Name, Peer, Warm, Rates);
    }
}
