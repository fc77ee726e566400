// Quire's benchmark harness (see shared BENCH.md):
//   dotnet run -c Release --project bench/Quire.Bench -- <suite> [--quick] [--out FILE.json]
using Quire.Bench.Harness;
using Quire.Bench.Log;

var suites = new Dictionary<string, Action<BenchReport, bool, GcPauseMonitor>>(StringComparer.Ordinal)
{
    ["log"] = LogSuite.Run,
};

string? suite = null;
string? output = null;
var quick = false;
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
        default:
            suite ??= args[i];
            break;
    }
}

if (suite is null || !suites.TryGetValue(suite, out var run))
{
    Console.Error.WriteLine($"usage: Quire.Bench <suite> [--quick] [--out FILE.json]; suites: {string.Join(", ", suites.Keys)}");
    return 2;
}

var machine = MachineInfo.Current();
Console.WriteLine($"suite {suite}{(quick ? " (quick)" : "")} on {machine.Cores} cores, {machine.MemoryGb} GB, {machine.Os}, {machine.Runtime}");
using var gc = new GcPauseMonitor();
var report = new BenchReport(suite, quick);
var started = DateTime.UtcNow;
run(report, quick, gc);
Console.WriteLine($"done in {(DateTime.UtcNow - started).TotalSeconds:F0} s");
if (output is not null)
{
    report.Write(output);
    Console.WriteLine($"wrote {output}");
}

return 0;
