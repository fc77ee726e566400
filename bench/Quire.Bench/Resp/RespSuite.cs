using System.Diagnostics;
using System.Globalization;
using Quire.Bench.Harness;
using Quire.Server;

namespace Quire.Bench.Resp;

/// <summary>
/// Suite <c>resp</c>: Debian's <c>redis-benchmark</c> drives Quire's Redis port (the server
/// in this process, sync durability) and a real <c>redis-server</c> with <c>appendonly yes</c>
/// and <c>appendfsync always</c> (an fsync before each event-loop pass answers), in turns,
/// with the same commands: SET and GET from 50 clients unpipelined and in pipelines of 64,
/// INCR in pipelines of 16, and MSET of 100 keys from 8 clients. Keys are drawn from
/// 100,000, so GETs find what the SETs wrote.
/// </summary>
public static class RespSuite
{
    private static readonly (string Case, string[] Args, int Requests, int QuickRequests)[] Cases =
    [
        ("set-c50-p1", ["-c", "50", "-P", "1", "-t", "set"], 100_000, 20_000),
        ("set-c50-p64", ["-c", "50", "-P", "64", "-t", "set"], 1_000_000, 200_000),
        ("get-c50-p1", ["-c", "50", "-P", "1", "-t", "get"], 100_000, 20_000),
        ("get-c50-p64", ["-c", "50", "-P", "64", "-t", "get"], 1_000_000, 200_000),
        ("incr-c50-p16", ["-c", "50", "-P", "16", "-t", "incr"], 500_000, 100_000),
        ("mset-c8", ["-c", "8", .. MsetCommand()], 20_000, 4_000),
    ];

    public static void Run(BenchRun run)
    {
        var report = run.Report;
        var repeats = run.Quick ? 1 : 3;
        using var dir = new BenchDirectory("quire-resp");
        var quirePort = Loopback.FreePort();
        using var stop = new CancellationTokenSource();
        var server = Task.Run(() => QuireServer.RunAsync(new ServerOptions { Port = Loopback.FreePort(), H2cPort = 0, Resp2Port = quirePort, DataRoot = Path.Combine(dir.Path, "quire") }, stop.Token));
        Loopback.WaitForPort(quirePort);
        using var redis = RedisServer.TryStart(Path.Combine(dir.Path, "redis"), out var redisError);
        var systems = new List<(string Name, int Port)> { ("quire", quirePort) };
        if (redis is not null && run.Includes("redis"))
        {
            systems.Add(("redis", redis.Port));
        }

        run.Gc.Reset();
        foreach (var (name, args, requests, quickRequests) in Cases)
        {
            var samples = systems.ToDictionary(s => s.Name, _ => new List<double>());
            string? error = null;
            for (var r = 0; r < repeats; r++)
            {
                foreach (var (system, port) in systems)
                {
                    try
                    {
                        samples[system].Add(Benchmark(port, args, run.Quick ? quickRequests : requests));
                    }
                    catch (InvalidOperationException ex)
                    {
                        error = ex.Message;
                    }
                }
            }

            foreach (var (system, values) in samples)
            {
                report.Add(values.Count == 0 ? new BenchResult(system, name, null, "ops/s", error) : new BenchResult(system, name, Median.Of(values), "ops/s"));
            }

            if (redis is null)
            {
                report.Add(new BenchResult("redis", name, null, "ops/s", redisError));
            }
        }

        report.Add(new BenchResult("quire", "gc-pause-max", run.Gc.MaxPause.TotalMilliseconds, "ms"));
        stop.Cancel();
        server.GetAwaiter().GetResult();

        Console.WriteLine();
        report.Ratio("quire set-c50-p1 / redis", ("quire", "set-c50-p1"), ("redis", "set-c50-p1"), 1.0);
        report.Ratio("quire set-c50-p64 / redis", ("quire", "set-c50-p64"), ("redis", "set-c50-p64"), 0.5);
        report.Ratio("quire get-c50-p1 / redis", ("quire", "get-c50-p1"), ("redis", "get-c50-p1"), 0.8);
        report.Ratio("quire get-c50-p64 / redis", ("quire", "get-c50-p64"), ("redis", "get-c50-p64"), 0.3);
        report.Ratio("quire incr-c50-p16 / redis (reported)", ("quire", "incr-c50-p16"), ("redis", "incr-c50-p16"), 0);
        report.Ratio("quire mset-c8 / redis (reported)", ("quire", "mset-c8"), ("redis", "mset-c8"), 0);
    }

    /// <summary>MSET of 100 random keys (each <c>__rand_int__</c> is drawn anew).</summary>
    private static string[] MsetCommand() => ["MSET", .. Enumerable.Range(0, 100).SelectMany(i => new[] { $"key:__rand_int__:{i}", "xxxxxxxxxx" })];

    /// <summary>Runs redis-benchmark against <paramref name="port"/>; returns its requests per second.</summary>
    private static double Benchmark(int port, string[] args, int requests)
    {
        string[] all = ["-p", port.ToString(CultureInfo.InvariantCulture), "-n", requests.ToString(CultureInfo.InvariantCulture), "-r", "100000", "-d", "100", "--csv", .. args];
        var (code, output) = Tools.Run("redis-benchmark", all, TimeSpan.FromMinutes(5));
        var line = output.Split('\n').LastOrDefault(l => l.StartsWith('"') && !l.StartsWith("\"test\"", StringComparison.Ordinal));
        if (code != 0 || line is null)
        {
            throw new InvalidOperationException($"redis-benchmark failed: {output.Trim()}");
        }

        return double.Parse(line.Split(',')[1].Trim('"'), CultureInfo.InvariantCulture);
    }

    /// <summary>A redis-server with an fsync before every answer (appendfsync always), in a directory of the run's, on a free port.</summary>
    private sealed class RedisServer : IDisposable
    {
        private readonly Process _process;

        private RedisServer(Process process, int port) => (_process, Port) = (process, port);

        public int Port { get; }

        public static RedisServer? TryStart(string directory, out string? error)
        {
            error = null;
            Directory.CreateDirectory(directory);
            var port = Loopback.FreePort();
            try
            {
                var start = new ProcessStartInfo("redis-server") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
                foreach (var arg in new[] { "--port", port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--appendonly", "yes", "--appendfsync", "always", "--save", "", "--dir", directory })
                {
                    start.ArgumentList.Add(arg);
                }

                var process = Process.Start(start)!;
                process.OutputDataReceived += (_, _) => { };
                process.BeginOutputReadLine();
                process.BeginErrorReadLine();
                Loopback.WaitForPort(port);
                return new RedisServer(process, port);
            }
            catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or TimeoutException)
            {
                error = $"redis-server could not start ({ex.Message}): apt-get install redis-server redis-tools";
                return null;
            }
        }

        public void Dispose()
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
            _process.Dispose();
        }
    }
}
