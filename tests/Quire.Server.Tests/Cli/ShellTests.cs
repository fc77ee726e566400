using System.Diagnostics;
using System.Net;
using Quire.TestSupport;
using Xunit.Abstractions;

namespace Quire.Server.Tests.Cli;

/// <summary><c>quire shell</c>: a script on standard input, and a person at a terminal (a pseudo-terminal driven by Python).</summary>
public class ShellTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_script_on_standard_input_runs_statement_by_statement_and_errors_do_not_stop_it()
    {
        using var server = await ShopAsync();
        var (code, stdout, stderr) = QuireCli.RunWithInput(
            "FROM users\n  WHERE age > 21\n  ORDER BY age DESC;\nEXPLAIN FROM users WHERE age > 21;\nFROM users WHERE;\n.json\nFROM users LIMIT 1;\n.use nodb\n.collections\nFROM users WHERE age = 21",
            "shell", "shop", "--url", $"http://127.0.0.1:{server.Port}");
        Assert.True(code == 0, stderr);
        Assert.True(stdout.IndexOf("n3", StringComparison.Ordinal) < stdout.IndexOf("n2", StringComparison.Ordinal), stdout);   // ORDER BY age DESC, in a table
        Assert.Contains("full-scan", stdout, StringComparison.Ordinal);                                                          // the plan, field by field
        Assert.Contains("""{"_id":"u1","name":"n1","age":21,"_seq":0}""", stdout, StringComparison.Ordinal);                    // .json, then the last statement without its ';'
        Assert.Contains("│ users      │ 3 ", stdout, StringComparison.Ordinal);                                                  // .collections
        Assert.Contains("error: NQL error", stderr, StringComparison.Ordinal);
        Assert.Contains("error: database not found: nodb", stderr, StringComparison.Ordinal);
        Assert.Contains("(2 rows, ", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void A_database_that_is_not_there_is_said_before_any_prompt()
    {
        using var server = new ServerProcess();
        var (code, _, stderr) = QuireCli.RunWithInput("FROM x;", "shell", "nope", "--url", $"http://127.0.0.1:{server.Port}");
        Assert.Equal(1, code);
        Assert.Contains("database not found: nope", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task At_a_terminal_tab_completes_the_up_arrow_recalls_and_ctrl_d_leaves()
    {
        using var server = await ShopAsync();
        using var home = new TempDirectory("quire-shell-home");
        var start = new ProcessStartInfo("python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "Cli", "shell_pty.py"), "dotnet", ServerProcess.CliPath(), "shell", "shop", "--url", $"http://127.0.0.1:{server.Port}" })
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["SHELL_HOME"] = home.Path;
        using var python = Process.Start(start)!;
        var stdout = python.StandardOutput.ReadToEndAsync();
        var stderr = python.StandardError.ReadToEndAsync();
        Assert.True(python.WaitForExit(TimeSpan.FromMinutes(2)), "the terminal session did not end");
        output.WriteLine(await stdout);
        Assert.True(python.ExitCode == 0, $"{await stdout}\n{await stderr}");
        Assert.Contains("shell pty ok", await stdout, StringComparison.Ordinal);
        var history = await File.ReadAllLinesAsync(Path.Combine(home.Path, ".quire_history"));
        Assert.Contains("FROM users WHERE age > 21;", history);
        Assert.Contains("FROM users LIMIT 3;", history);
    }

    private static async Task<ServerProcess> ShopAsync()
    {
        var server = new ServerProcess();
        Assert.Equal(HttpStatusCode.Created, (await server.SendAsync(HttpMethod.Post, "/v1/databases", """{"name":"shop"}""")).Status);
        for (var i = 1; i <= 3; i++)
        {
            await server.SendAsync(HttpMethod.Post, "/v1/databases/shop/put", $$$"""{"coll":"users","id":"u{{{i}}}","doc":{"name":"n{{{i}}}","age":{{{20 + i}}}}}""");
        }

        return server;
    }
}
