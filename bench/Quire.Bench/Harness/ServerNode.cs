using System.Diagnostics;
using System.Text.Json;

namespace Quire.Bench.Harness;

/// <summary>A server process (<c>quire serve</c>, the build beside this benchmark) on loopback: its port, its client, and how to stop or kill it.</summary>
public sealed class ServerNode : IDisposable
{
    private Process _process = null!;
    private bool _stopped;

    public int Port { get; private init; }

    public HttpClient Http { get; private init; } = null!;

    public string Url => $"http://127.0.0.1:{Port}";

    /// <summary>The server's resident memory now (bytes), from <c>/proc</c>.</summary>
    public long ResidentBytes
    {
        get
        {
            var line = File.ReadLines($"/proc/{_process.Id}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
        }
    }

    /// <summary>
    /// Starts a server on <paramref name="dataRoot"/> (on <paramref name="port"/>, or a free one),
    /// with h2c off and <paramref name="args"/> added, and waits until it answers; creates
    /// <paramref name="database"/> when given and absent. Lines it logs at error level are shown.
    /// </summary>
    public static ServerNode Start(string dataRoot, string? database, int? port, params string[] args)
    {
        var chosen = port ?? Loopback.FreePort();
        var node = new ServerNode { Port = chosen, Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{chosen}") } };
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { CliPath(), "serve", "--port", $"{node.Port}", "--h2c-port", "0", "--data", dataRoot }.Concat(args))
        {
            start.ArgumentList.Add(arg);
        }

        node._process = Process.Start(start)!;
        node._process.OutputDataReceived += (_, _) => { };
        node._process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { Length: > 0 } line && line.StartsWith("fail", StringComparison.Ordinal))
            {
                Console.Error.WriteLine($"  ({dataRoot}) {line}");
            }
        };
        node._process.BeginOutputReadLine();
        node._process.BeginErrorReadLine();
        Loopback.WaitForHealth(node.Http);
        if (database is not null && !Directory.Exists(Path.Combine(dataRoot, database)))
        {
            node.Http.PostAsync("/v1/databases", new StringContent($$"""{"name": "{{database}}"}""")).GetAwaiter().GetResult().EnsureSuccessStatusCode();
        }

        return node;
    }

    /// <summary>The server, built beside this benchmark: bench/Quire.Bench/bin/C/F/ -> src/Quire.Cli/bin/C/F/Quire.Cli.dll.</summary>
    public static string CliPath()
    {
        var here = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/'));
        var root = here.Parent!.Parent!.Parent!.Parent!.Parent!.FullName;
        var path = Path.Combine(root, "src", "Quire.Cli", "bin", here.Parent.Name, here.Name, "Quire.Cli.dll");
        return File.Exists(path) ? path : throw new FileNotFoundException($"the server is not built at {path}");
    }

    /// <summary>The database's last seq as this server shows it (-1 before it has it).</summary>
    public long Seq(string db)
    {
        using var response = Http.GetAsync($"/v1/databases/{db}/status").GetAwaiter().GetResult();
        if (!response.IsSuccessStatusCode)
        {
            return -1;
        }

        using var body = JsonDocument.Parse(response.Content.ReadAsStream());
        return body.RootElement.GetProperty("tip_seq").GetInt64();
    }

    /// <summary>Waits until this replica has <paramref name="db"/> as far as <paramref name="primary"/> has it, and the primary sees a replica.</summary>
    public void WaitForDatabase(string db, ServerNode primary)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (Seq(db) < primary.Seq(db) || Seq(db) < -1 || !Http.GetAsync("/health").GetAwaiter().GetResult().Content.ReadAsStringAsync().GetAwaiter().GetResult().Contains($"\"{db}\"", StringComparison.Ordinal))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"the replica never had database {db}");
            }

            Thread.Sleep(20);
        }

        while (primary.Http.GetAsync("/health").GetAwaiter().GetResult().Content.ReadAsStringAsync().GetAwaiter().GetResult().Contains("\"replicas\":0", StringComparison.Ordinal))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("the replica never connected");
            }

            Thread.Sleep(20);
        }
    }

    /// <summary>Kills the server at once (SIGKILL): no shutdown, no last checkpoint.</summary>
    public void Kill()
    {
        _stopped = true;
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit(10_000);
        _process.Dispose();
        Http.Dispose();
    }

    /// <summary>Stops the server as SIGTERM does (a clean shutdown).</summary>
    public void Dispose()
    {
        if (_stopped)
        {
            return;
        }

        _stopped = true;
        using (var kill = Process.Start("kill", ["-TERM", $"{_process.Id}"]))
        {
            kill.WaitForExit();
        }

        if (!_process.WaitForExit(60_000))
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.Dispose();
        Http.Dispose();
    }
}
