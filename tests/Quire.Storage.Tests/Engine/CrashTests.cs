using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Quire.Storage.Engine;
using Quire.TestSupport;
using Xunit.Abstractions;
using static Quire.Storage.Tests.Keys;

namespace Quire.Storage.Tests.Engine;

/// <summary>
/// A child process commits durably from 16 tasks and prints each acknowledged commit,
/// checkpointing every 100 ms and every segment of log; the test kills it with SIGKILL
/// at random moments (during recovery and checkpoints too), reopens the
/// database and checks every acknowledged commit is present with its seqs and no batch
/// is partly visible. 20 kills by default; set QUIRE_CRASH_KILLS for more.
/// </summary>
public class CrashTests(ITestOutputHelper output)
{
    private const long SegmentSize = 256 * 1024; // small, so segments roll between kills

    [Fact]
    public async Task Sigkill_never_loses_an_acknowledged_commit_nor_shows_part_of_a_batch()
    {
        var kills = int.TryParse(Environment.GetEnvironmentVariable("QUIRE_CRASH_KILLS"), out var k) ? k : 20;
        var seed = Environment.TickCount;
        output.WriteLine($"seed {seed}, {kills} kills");
        var random = new Random(seed);
        using var dir = new TempDirectory("quire-crash");
        var acknowledged = new List<Ack>();
        var lastVerified = -1L;
        var childCheckpoints = 0;

        for (var run = 0; run < kills; run++)
        {
            // Mostly while writing; one run in four at any moment, recovery included.
            var afterOpen = random.Next(4) != 0;
            var acks = await RunAndKill(dir.Path, run, afterOpen, TimeSpan.FromMilliseconds(afterOpen ? random.Next(5, 300) : random.Next(20, 400)));
            acknowledged.AddRange(acks);
            var (checkpointed, last) = Verify(dir.Path, acknowledged, run);

            // The previous check closed the database with a checkpoint at its last seq; anything beyond is the child's.
            childCheckpoints += checkpointed > lastVerified ? 1 : 0;
            lastVerified = last;
        }

        output.WriteLine($"{childCheckpoints} runs recovered from a checkpoint the child wrote");
        Assert.True(acknowledged.Count > kills, $"only {acknowledged.Count} commits were acknowledged in {kills} runs");
        Assert.True(childCheckpoints > 0, "no child checkpoint survived a kill");
    }

    private async Task<List<Ack>> RunAndKill(string directory, int run, bool afterOpen, TimeSpan after)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true, // the child exits when this closes, should this process die first
            UseShellExecute = false,
        };
        start.ArgumentList.Add(ChildPath());
        start.ArgumentList.Add(directory);
        start.ArgumentList.Add(run.ToString(CultureInfo.InvariantCulture));
        start.ArgumentList.Add(SegmentSize.ToString(CultureInfo.InvariantCulture));

        var lines = new ConcurrentQueue<string>();
        var errors = new ConcurrentQueue<string>();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lines.Enqueue(e.Data);
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                errors.Enqueue(e.Data);
            }
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            var deadline = Stopwatch.StartNew();
            while (afterOpen && !lines.Any(l => l.StartsWith("OPEN", StringComparison.Ordinal)) && !process.HasExited && deadline.Elapsed < TimeSpan.FromSeconds(60))
            {
                await Task.Delay(2);
            }

            await Task.Delay(after);
            Assert.False(process.HasExited, $"the writer exited by itself: {string.Join('\n', errors)}");
        }
        finally
        {
            process.Kill(); // SIGKILL
            await process.WaitForExitAsync();
        }

        var acks = lines.Where(l => l.StartsWith("ACK ", StringComparison.Ordinal)).Select(Ack.Parse).ToList();
        output.WriteLine($"run {run}: killed {after.TotalMilliseconds} ms after {(afterOpen ? "open" : "start")}, {acks.Count} acknowledged");
        return acks;
    }

    /// <summary>Checks the recovered state; returns the seq the recovered checkpoint covered and the last seq.</summary>
    private static (long Checkpointed, long Last) Verify(string directory, List<Ack> acknowledged, int run)
    {
        using var engine = StorageEngine.Open(directory, new StorageOptions { Log = new() { SegmentSize = SegmentSize } });
        var recovered = (engine.CheckpointedSeq, engine.LastSeq);
        foreach (var ack in acknowledged)
        {
            for (var j = 0; j < ack.Ops; j++)
            {
                var key = $"b/{ack.Run}/{ack.Id}/{j}";
                Assert.True(engine.TryGetVersioned(B(key), out var value), $"after kill {run}: acknowledged {key} is missing");
                Assert.Equal(ack.FirstSeq + j, value.Version);
                Assert.StartsWith($"{ack.Run}/{ack.Id}/{ack.Ops}/", S(value.Value));
            }

            Assert.True(ack.LastSeq <= engine.LastSeq, $"after kill {run}: acknowledged seq {ack.LastSeq} beyond recovered {engine.LastSeq}");
        }

        // No batch partly visible: every batch present has all its keys.
        var batches = engine.Scan(B("b/"), B("b0"))
            .GroupBy(e => S(e.Key)[..S(e.Key).LastIndexOf('/')])
            .ToList();
        foreach (var batch in batches)
        {
            var ops = int.Parse(S(batch.First().Value).Split('/')[2], CultureInfo.InvariantCulture);
            Assert.True(batch.Count() == ops, $"after kill {run}: batch {batch.Key} has {batch.Count()} of {ops} keys");
            var versions = batch.Select(e => e.Version).Order().ToList();
            Assert.Equal(Enumerable.Range(0, ops).Select(i => versions[0] + i), versions);
        }

        return recovered;
    }

    private static string ChildPath()
    {
        // tests/Quire.Storage.Tests/bin/<Configuration>/net10.0/ -> tests/Quire.Storage.CrashChild/bin/<Configuration>/net10.0/
        var here = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/'));
        var framework = here.Name;
        var configuration = here.Parent!.Name;
        var tests = here.Parent.Parent!.Parent!.Parent!.FullName;
        var path = Path.Combine(tests, "Quire.Storage.CrashChild", "bin", configuration, framework, "Quire.Storage.CrashChild.dll");
        Assert.True(File.Exists(path), $"the crash writer is not built at {path}");
        return path;
    }

    private sealed record Ack(int Run, int Id, int Ops, long FirstSeq, long LastSeq)
    {
        public static Ack Parse(string line)
        {
            var p = line.Split(' ');
            return new Ack(
                int.Parse(p[1], CultureInfo.InvariantCulture),
                int.Parse(p[2], CultureInfo.InvariantCulture),
                int.Parse(p[3], CultureInfo.InvariantCulture),
                long.Parse(p[4], CultureInfo.InvariantCulture),
                long.Parse(p[5], CultureInfo.InvariantCulture));
        }
    }
}
