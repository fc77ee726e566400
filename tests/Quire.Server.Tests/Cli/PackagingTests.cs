using System.Diagnostics;
using System.IO.Compression;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Quire.TestSupport;
using Xunit.Abstractions;

namespace Quire.Server.Tests.Cli;

/// <summary>
/// What users install: the packages (the library with its README, the quire tool),
/// and the self-contained single files for linux-x64 and linux-arm64. In one class, so the
/// builds they make run one at a time.
/// </summary>
[Collection(SerialCollection.Name)]
public partial class PackagingTests(ITestOutputHelper output)
{
    [Fact]
    public void The_tool_package_installs_a_quire_command_and_the_library_package_runs_its_readme_example()
    {
        using var work = new TempDirectory("quire-packages");
        var packages = Path.Combine(work.Path, "packages");
        Run("dotnet", RepositoryRoot.Path, "pack", "Quire.slnx", "-c", "Release", "--no-build", "-o", packages);
        Assert.Equal(["Quire.0.1.0.nupkg", "Quire.Cli.0.1.0.nupkg", "Quire.Storage.0.1.0.nupkg"], Directory.GetFiles(packages).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        using (var library = ZipFile.OpenRead(Path.Combine(packages, "Quire.0.1.0.nupkg")))
        {
            Assert.Contains(library.Entries, e => e.FullName == "lib/net10.0/Quire.dll");
            Assert.Contains(library.Entries, e => e.FullName == "PACKAGE.md");
        }

        // The tool: dotnet tool install, then `quire`.
        var tools = Path.Combine(work.Path, "tools");
        Run("dotnet", work.Path, "tool", "install", "Quire.Cli", "--tool-path", tools, "--add-source", packages, "--version", "0.1.0");
        Assert.Contains("shell", Run(Path.Combine(tools, "quire"), work.Path, "--help"), StringComparison.Ordinal);

        // The library: a new project takes the package and runs the README's example as it is written.
        var consumer = Path.Combine(work.Path, "consumer");
        Directory.CreateDirectory(consumer);
        File.WriteAllText(Path.Combine(consumer, "consumer.csproj"), """
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup><OutputType>Exe</OutputType><TargetFramework>net10.0</TargetFramework><ImplicitUsings>enable</ImplicitUsings><Nullable>enable</Nullable></PropertyGroup>
              <ItemGroup><PackageReference Include="Quire" Version="0.1.0" /></ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(consumer, "nuget.config"), $$$"""
            <configuration><packageSources><add key="local" value="{{{packages}}}" /></packageSources></configuration>
            """);
        var readme = File.ReadAllText(Path.Combine(RepositoryRoot.Path, "src", "Quire", "PACKAGE.md"));
        var example = CodeBlock().Match(readme).Groups[1].Value;
        File.WriteAllText(Path.Combine(consumer, "Program.cs"), example + "\nConsole.WriteLine($\"found {active.Rows.Count}\");\n");
        Assert.Contains("found 1", Run("dotnet", consumer, "run", "-c", "Release"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_single_file_builds_run_without_dotnet_and_the_shell_answers_fast()
    {
        using var work = new TempDirectory("quire-single-file");
        var x64 = Path.Combine(work.Path, "linux-x64") + "/";
        var arm64 = Path.Combine(work.Path, "linux-arm64") + "/";
        Run("dotnet", RepositoryRoot.Path, "publish", "src/Quire.Cli", "-c", "Release", "-p:PublishProfile=linux-x64", $"-p:PublishDir={x64}");
        // (arm64 without ReadyToRun here: it cannot run on this machine, and compiling it ahead of time takes a minute more.)
        Run("dotnet", RepositoryRoot.Path, "publish", "src/Quire.Cli", "-c", "Release", "-p:PublishProfile=linux-arm64", "-p:PublishReadyToRun=false", $"-p:PublishDir={arm64}");
        Assert.Equal(0x3E, ElfMachine(Path.Combine(x64, "quire")));     // x86-64
        Assert.Equal(0xB7, ElfMachine(Path.Combine(arm64, "quire")));   // AArch64

        // The x64 file runs with no DOTNET_ROOT and no dotnet on the PATH.
        var quire = Path.Combine(x64, "quire");
        Assert.Contains("serve", Run(quire, work.Path, "--help"), StringComparison.Ordinal);
        using var server = new ServerProcess();
        Assert.Equal(HttpStatusCode.Created, (await server.SendAsync(HttpMethod.Post, "/v1/databases", """{"name":"s"}""")).Status);
        await server.SendAsync(HttpMethod.Post, "/v1/databases/s/put", """{"coll":"c","id":"a","doc":{"n":1}}""");
        var times = new List<double>();
        for (var i = 0; i < 3; i++)
        {
            var started = Stopwatch.GetTimestamp();
            Assert.Contains("(1 row", Run(quire, work.Path, "shell", "s", "--url", $"http://127.0.0.1:{server.Port}", "--input", "FROM c;"), StringComparison.Ordinal);
            times.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }

        // Reported, not asserted (the goal is < 300 ms; this machine is shared).
        output.WriteLine($"single-file quire shell, start to answer: {string.Join(", ", times.Select(t => $"{t:F0} ms"))}");

        await The_Dockerfile_builds_this_file_and_its_entrypoint_serves(quire, work);
    }

    /// <summary>
    /// No Docker engine runs on these machines, so the image is checked by its parts: its build
    /// stage publishes with the profile tested above, and its ENTRYPOINT, run with that file
    /// as the image would (no .NET on the path), serves (on loopback and a free port here, with
    /// a temporary directory for the /data volume).
    /// </summary>
    private static async Task The_Dockerfile_builds_this_file_and_its_entrypoint_serves(string quire, TempDirectory work)
    {
        var dockerfile = await File.ReadAllTextAsync(Path.Combine(RepositoryRoot.Path, "Dockerfile"));
        Assert.Contains("dotnet publish src/Quire.Cli -c Release", dockerfile, StringComparison.Ordinal);
        Assert.Contains("-p:PublishProfile=linux-$(", dockerfile, StringComparison.Ordinal);
        Assert.Contains("COPY --from=build /out/quire /usr/local/bin/quire", dockerfile, StringComparison.Ordinal);
        var entrypoint = JsonSerializer.Deserialize<string[]>(dockerfile.Split("ENTRYPOINT ")[1].Split('\n')[0])!;
        Assert.Equal("quire", entrypoint[0]);
        var data = Path.Combine(work.Path, "volume");
        var port = ServerProcess.FreePort();
        var args = entrypoint[1..].Select(a => a switch { "0.0.0.0" => "127.0.0.1", "/data" => data, _ => a }).Concat(["--port", $"{port}", "--h2c-port", "0"]).ToArray();
        var start = new ProcessStartInfo(quire) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["PATH"] = "/usr/bin:/bin";
        start.Environment["DOTNET_ROOT"] = "/nonexistent";
        using var process = Process.Start(start)!;
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (true)
            {
                try
                {
                    Assert.Equal(HttpStatusCode.Created, (await http.PostAsync("/v1/databases", new StringContent("""{"name":"boxed"}"""))).StatusCode);
                    break;
                }
                catch (HttpRequestException) when (DateTime.UtcNow < deadline && !process.HasExited)
                {
                    await Task.Delay(100);
                }
            }

            Assert.True(Directory.Exists(Path.Combine(data, "boxed")));
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    private static int ElfMachine(string path)
    {
        var header = new byte[20];
        using (var file = File.OpenRead(path))
        {
            file.ReadExactly(header);
        }

        Assert.Equal("\u007fELF"u8.ToArray(), header[..4]);
        return header[18] | (header[19] << 8);
    }

    /// <summary>Runs a program to its end; its standard output and error, which must say it succeeded. A single file runs with no .NET on the path.</summary>
    private static string Run(string file, string directory, params string[] args)
    {
        var input = args.SkipWhile(a => a != "--input").Skip(1).FirstOrDefault();
        args = input is null ? args : args.TakeWhile(a => a != "--input").ToArray();
        var environment = new Dictionary<string, string> { ["NO_COLOR"] = "1" };
        if (file.Contains("/linux-", StringComparison.Ordinal))
        {
            environment["PATH"] = "/usr/bin:/bin";
            environment["DOTNET_ROOT"] = "/nonexistent";
        }

        var (code, stdout, stderr) = Programs.Run(file, args, input ?? "", environment, directory);
        Assert.True(code == 0, $"{file} {string.Join(' ', args)} exited with {code}:\n{stdout}{stderr}");
        return stdout + stderr;
    }

    [GeneratedRegex("```csharp\\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex CodeBlock();
}
