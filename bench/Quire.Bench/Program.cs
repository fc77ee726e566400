// Quire's benchmark harness (see shared BENCH.md):
//   dotnet run -c Release --project bench/Quire.Bench -- <suite> [--quick] [--out FILE.json]
using Quire.Bench.Cli;
using Quire.Bench.Documents;
using Quire.Bench.Encryption;
using Quire.Bench.Harness;
using Quire.Bench.History;
using Quire.Bench.Http;
using Quire.Bench.Log;
using Quire.Bench.ObjectStore;
using Quire.Bench.Query;
using Quire.Bench.Replication;
using Quire.Bench.Resp;
using Quire.Bench.Soak;
using Quire.Bench.Tree;

var suites = new Dictionary<string, Action<BenchRun>>(StringComparer.Ordinal)
{
    ["log"] = LogSuite.Run,
    ["tree"] = TreeSuite.Run,
    ["documents"] = DocumentsSuite.Run,
    ["query"] = QuerySuite.Run,
    ["http"] = HttpSuite.Run,
    ["history"] = HistorySuite.Run,
    ["resp"] = RespSuite.Run,
    ["replication"] = ReplicationSuite.Run,
    ["soak"] = SoakSuite.Run,
    ["encryption"] = EncryptionSuite.Run,
    ["cli"] = CliSuite.Run,
    ["objectstore"] = ObjectStoreSuite.Run,
};

string? suite = null;
string? output = null;
var quick = false;
string[]? systems = null;
double? minutes = null;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--quick":
            quick = true;
            break;
        case "--out" when i + 1 < args.Length:
            output = args[++i];
            break;
        case "--minutes" when i + 1 < args.Length && double.TryParse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture, out var m) && m > 0:
            minutes = m;
            i++;
            break;
        case "--systems" when i + 1 < args.Length:
            // For development only: results quoted in docs/benchmarks.md come from runs of every system.
            systems = args[++i].Split(',');
            break;
        default:
            suite ??= args[i];
            break;
    }
}

if (suite is null || !suites.TryGetValue(suite, out var run))
{
    Console.Error.WriteLine($"usage: Quire.Bench <suite> [--quick] [--out FILE.json] [--systems a,b] [--minutes N]; suites: {string.Join(", ", suites.Keys)}");
    return 2;
}

var machine = MachineInfo.Current();
Console.WriteLine($"suite {suite}{(quick ? " (quick)" : "")} on {machine.Cores} cores, {machine.MemoryGb} GB, {machine.Os}, {machine.Runtime}");
using var gc = new GcPauseMonitor();
var report = new BenchReport(suite, quick);
var started = DateTime.UtcNow;
run(new BenchRun(report, quick, gc, systems) { Minutes = minutes, Output = output });
Console.WriteLine($"done in {(DateTime.UtcNow - started).TotalSeconds:F0} s");
if (output is not null)
{
    report.Write(output);
    Console.WriteLine($"wrote {output}");
}

return 0;
