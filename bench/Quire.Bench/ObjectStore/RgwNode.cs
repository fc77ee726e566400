using System.Diagnostics;
using Amazon.Runtime;
using Quire.Bench.Harness;

namespace Quire.Bench.ObjectStore;

/// <summary>
/// Debian's Ceph RADOS Gateway as a one-node cluster on loopback, installed and started by
/// <c>tools/rgw/start.sh</c> (about 16 s), stopped by <c>tools/rgw/stop.sh</c> on dispose.
/// </summary>
internal sealed class RgwNode : IDisposable
{
    public const string AccessKey = "quire-bench";
    public const string SecretKey = "quire-bench-secret";

    private readonly BenchDirectory _directory = new("quire-rgw");
    private readonly string _tools;

    public RgwNode()
    {
        var here = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/'));
        _tools = Path.Combine(here.Parent!.Parent!.Parent!.Parent!.Parent!.FullName, "tools", "rgw");
        var port = FreePortRun(3);
        var (code, output) = Run(Path.Combine(_tools, "start.sh"), _directory.Path, $"{port}", AccessKey, SecretKey);
        if (code != 0)
        {
            Run(Path.Combine(_tools, "stop.sh"), _directory.Path);
            throw new InvalidOperationException($"radosgw did not start: {output}");
        }

        Endpoint = new Uri($"http://127.0.0.1:{port}");
    }

    /// <summary>The gateway's URL.</summary>
    public Uri Endpoint { get; }

    public static BasicAWSCredentials Credentials => new(AccessKey, SecretKey);

    /// <summary>The environment that gives a server the bench user's keys.</summary>
    public static IReadOnlyDictionary<string, string> Environment => new Dictionary<string, string> { ["AWS_ACCESS_KEY_ID"] = AccessKey, ["AWS_SECRET_ACCESS_KEY"] = SecretKey };

    /// <summary>CPU seconds the cluster's processes (monitor, OSD, gateway) have used so far, from <c>/proc</c>.</summary>
    public double CpuSeconds
    {
        get
        {
            var ticks = 0L;
            foreach (var process in Directory.EnumerateDirectories("/proc").Where(d => int.TryParse(Path.GetFileName(d), out _)))
            {
                try
                {
                    if (File.ReadAllText(Path.Combine(process, "cmdline")).Contains(_directory.Path, StringComparison.Ordinal))
                    {
                        var stat = File.ReadAllText(Path.Combine(process, "stat"));
                        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                        ticks += long.Parse(fields[11], System.Globalization.CultureInfo.InvariantCulture) + long.Parse(fields[12], System.Globalization.CultureInfo.InvariantCulture);   // utime, stime
                    }
                }
                catch (IOException)
                {
                    // gone meanwhile
                }
            }

            return ticks / 100.0;   // USER_HZ
        }
    }

    public void Dispose()
    {
        Run(Path.Combine(_tools, "stop.sh"), _directory.Path);
        _directory.Dispose();
    }

    private static (int Code, string Output) Run(string script, params string[] args)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(script);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(10)))
        {
            process.Kill(entireProcessTree: true);
        }

        return (process.ExitCode, stdout.Result + stderr.Result);
    }

    /// <summary>A port with the next <paramref name="count"/> - 1 free too (the monitor takes two after the gateway's).</summary>
    private static int FreePortRun(int count)
    {
        while (true)
        {
            var port = Loopback.FreePort();
            if (port + count < 65535 && Enumerable.Range(port + 1, count - 1).All(IsFree))
            {
                return port;
            }
        }
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (System.Net.Sockets.SocketException)
        {
            return false;
        }
    }
}
