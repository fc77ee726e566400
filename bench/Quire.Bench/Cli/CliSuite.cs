using System.Diagnostics;
using System.Text.Json;
using Quire.Bench.Documents;
using Quire.Bench.Harness;

namespace Quire.Bench.Cli;

/// <summary>
/// Suite <c>cli</c>: the <c>quire</c> command's loaders against the embedded engine in the same
/// run. <c>bulk-blocks</c> loads block documents (sorted height and eq miner indexes) through
/// the library, as the documents suite does; <c>import</c> loads the same documents from a
/// JSON Lines file with <c>quire import</c> (a separate process) into a server on loopback with
/// the same two indexes; <c>export</c> writes them out again with <c>quire export --out</c>.
/// Both processes' start-up is inside the time. Everything is durable (fsync per commit).
/// </summary>
public static class CliSuite
{
    public static void Run(BenchRun run)
    {
        var report = run.Report;
        var count = run.Quick ? 100_000 : 1_000_000;
        Console.WriteLine($"  (generating {count:N0} block documents)");
        var random = new Random(42);
        var blocks = Enumerable.Range(0, count).Select(h => Block.Create(random, h)).ToList();
        using var files = new BenchDirectory("cli-files");
        var input = Path.Combine(files.Path, "blocks.jsonl");
        File.WriteAllLines(input, blocks.Select(b => b.Json));   // each has its id in "hash"

        if (run.Includes("quire"))
        {
            using var embeddedDir = new BenchDirectory("quire");
            using var embedded = new QuireDocuments(embeddedDir.Path);
            var started = Stopwatch.GetTimestamp();
            embedded.BulkBlocksAsync(blocks, 1000, 2).GetAwaiter().GetResult();
            report.Add(new BenchResult("quire", "bulk-blocks", count / Stopwatch.GetElapsedTime(started).TotalSeconds, "docs/s"));
        }

        if (run.Includes("cli"))
        {
            using var serverDir = new BenchDirectory("server");
            using var server = ServerNode.Start(serverDir.Path, "blocks", null);
            foreach (var (field, kind) in new[] { ("height", "sorted"), ("miner", "eq") })
            {
                server.Http.PostAsync("/v1/databases/blocks/index", new StringContent($$"""{"coll":"blocks","field":"{{field}}","kind":"{{kind}}"}""")).GetAwaiter().GetResult().EnsureSuccessStatusCode();
            }

            var seconds = Quire(server, "import", "blocks", "blocks", input, "--id-field", "hash");
            Check(Rows(server) == count, $"the server holds {Rows(server)} documents after the import, not {count}");
            report.Add(new BenchResult("cli", "import", count / seconds, "docs/s"));

            var output = Path.Combine(files.Path, "export.jsonl");
            seconds = Quire(server, "export", "blocks", "blocks", "--out", output);
            Check(File.ReadLines(output).Count() == count, "the export does not hold every document");
            report.Add(new BenchResult("cli", "export", count / seconds, "docs/s"));
        }

        Console.WriteLine();
        report.Ratio("cli import / quire bulk-blocks", ("cli", "import"), ("quire", "bulk-blocks"), 0.8);
    }

    /// <summary>Runs <c>quire</c> against <paramref name="server"/> to its end and returns the seconds it took.</summary>
    private static double Quire(ServerNode server, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { ServerNode.CliPath() }.Concat(args).Concat(["--url", server.Url]))
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["NO_COLOR"] = "1";
        var started = Stopwatch.GetTimestamp();
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEndAsync();
        process.WaitForExit();
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        Check(process.ExitCode == 0, $"quire {args[0]} failed ({process.ExitCode}): {error.Result}{output.Result}");
        return seconds;
    }

    private static long Rows(ServerNode server)
    {
        using var body = JsonDocument.Parse(server.Http.GetStringAsync("/v1/databases/blocks").GetAwaiter().GetResult());
        return body.RootElement.GetProperty("rows").GetInt64();
    }

    private static void Check(bool condition, string problem)
    {
        if (!condition)
        {
            throw new InvalidOperationException(problem);
        }
    }
}
