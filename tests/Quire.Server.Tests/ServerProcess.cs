using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Quire.TestSupport;

namespace Quire.Server.Tests;

/// <summary>The real <c>quire serve</c> process on free loopback ports, with its data in a temp directory; killed on dispose.</summary>
internal sealed class ServerProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    public ServerProcess(string? token = null, TempDirectory? data = null, params string[] extraArgs)
        : this(FreePort(), token, data, extraArgs)
    {
    }

    /// <summary>A server on <paramref name="port"/> (a restart that clients find where it was).</summary>
    public ServerProcess(int port, string? token, TempDirectory? data, params string[] extraArgs)
        : this(port, token, data, new Dictionary<string, string>(), extraArgs)
    {
    }

    /// <summary>A server on <paramref name="port"/> with <paramref name="environment"/> set for it (runtime settings, say).</summary>
    public ServerProcess(int port, string? token, TempDirectory? data, IReadOnlyDictionary<string, string> environment, params string[] extraArgs)
    {
        Data = data ?? new TempDirectory("quire-server");
        OwnsData = data is null;
        Port = port;
        H2cPort = FreePort();
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { CliPath(), "serve", "--port", Port.ToString(), "--h2c-port", H2cPort.ToString(), "--data", Data.Path }.Concat(extraArgs))
        {
            start.ArgumentList.Add(arg);
        }

        if (token is not null)
        {
            start.Environment["NEDBD_TOKEN"] = token;
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, e) => { lock (_output) { _output.AppendLine(e.Data); } };
        _process.ErrorDataReceived += (_, e) => { lock (_output) { _output.AppendLine(e.Data); } };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{Port}"), Timeout = TimeSpan.FromSeconds(30) };
        if (token is not null)
        {
            Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        try
        {
            WaitForHealth();
        }
        catch
        {
            // A server that never came up leaves nothing behind: no process, no data directory.
            Dispose();
            throw;
        }
    }

    public TempDirectory Data { get; }

    public bool OwnsData { get; }

    public int Port { get; }

    public int H2cPort { get; }

    public HttpClient Http { get; }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Whether <paramref name="text"/> appears in the output within five seconds (the server's log is written a moment after what it says happened).</summary>
    public bool Printed(string text)
    {
        for (var waited = 0; waited < 5000; waited += 50)
        {
            if (Output.Contains(text, StringComparison.Ordinal))
            {
                return true;
            }

            Thread.Sleep(50);
        }

        return false;
    }

    public async Task<(HttpStatusCode Status, JsonElement Body)> SendAsync(HttpMethod method, string path, string? json = null, HttpClient? client = null)
    {
        client ??= Http;
        using var request = new HttpRequestMessage(method, path) { Version = client.DefaultRequestVersion, VersionPolicy = client.DefaultVersionPolicy };
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }

        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    /// <summary>The server's process id.</summary>
    public int ProcessId => _process.Id;

    /// <summary>Sends SIGTERM and waits for a clean exit; returns the exit code.</summary>
    public int Terminate()
    {
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString()]))
        {
            kill.WaitForExit();
        }

        Assert.True(_process.WaitForExit(30_000), $"the server did not stop on SIGTERM:\n{Output}");
        return _process.ExitCode;
    }

    /// <summary>Kills the process at once (SIGKILL): no shutdown, no last checkpoint.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit(10_000);
    }

    public void Dispose()
    {
        Http.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }

        _process.Dispose();
        if (OwnsData)
        {
            Data.Dispose();
        }
    }

    private void WaitForHealth()
    {
        var until = Stopwatch.StartNew();
        while (until.Elapsed < TimeSpan.FromSeconds(20))
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"the server exited with {_process.ExitCode}:\n{Output}");
            }

            try
            {
                using var response = Http.GetAsync("/health").GetAwaiter().GetResult();
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            Thread.Sleep(50);
        }

        throw new TimeoutException($"the server did not answer /health within 20 s:\n{Output}");
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    internal static string CliPath()
    {
        // tests/Quire.Server.Tests/bin/<Configuration>/<framework>/ -> src/Quire.Cli/bin/<Configuration>/<framework>/Quire.Cli.dll
        var here = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/'));
        var framework = here.Name;
        var configuration = here.Parent!.Name;
        var root = here.Parent.Parent!.Parent!.Parent!.Parent!.FullName;
        var path = Path.Combine(root, "src", "Quire.Cli", "bin", configuration, framework, "Quire.Cli.dll");
        Assert.True(File.Exists(path), $"the server is not built at {path}");
        return path;
    }
}
