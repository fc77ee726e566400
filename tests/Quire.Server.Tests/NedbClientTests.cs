using System.Diagnostics;

namespace Quire.Server.Tests;

/// <summary>
/// The calls nedbd's official Python client makes (NedbClient: ensure_database, put with
/// TTL and provenance, sweep, tx with if_seq, links and neighbours, log, proof verified
/// locally), run against the real server process. nedb's code is not open source (BSL), so
/// NedbClient/nedb_calls.py makes the same requests and reads the responses the same way.
/// </summary>
public class NedbClientTests
{
    [Fact]
    public async Task The_nedb_clients_calls_work_unchanged_against_quire_serve()
    {
        using var server = new ServerProcess(token: "t0k");
        var script = Path.Combine(AppContext.BaseDirectory, "NedbClient", "nedb_calls.py");
        var start = new ProcessStartInfo("python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(script);
        start.Environment["NEDBD_URL"] = $"http://127.0.0.1:{server.Port}";
        start.Environment["NEDBD_TOKEN"] = "t0k";
        using var python = Process.Start(start)!;
        var output = python.StandardOutput.ReadToEndAsync();
        var errors = python.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await python.WaitForExitAsync(deadline.Token);
        var (stdout, stderr) = (await output, await errors);
        Assert.True(python.ExitCode == 0, $"the client script failed:\n{stdout}\n{stderr}\nserver:\n{server.Output}");
        Assert.Contains("nedb client ok", stdout, StringComparison.Ordinal);
    }
}
