using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Quire.Bench.Harness;

/// <summary>Collects results, prints them as a table as they come, and writes BENCH.md's JSON.</summary>
public sealed class BenchReport(string suite, bool quick)
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };
    private readonly List<BenchResult> _results = [];
    private readonly List<string> _ratios = [];

    public IReadOnlyList<BenchResult> Results => _results;

    public void Add(BenchResult result)
    {
        _results.Add(result);
        var value = result.Value is { } v ? v.ToString(v >= 100 ? "N0" : "N2", CultureInfo.InvariantCulture) : "n/a";
        Console.WriteLine($"  {result.System,-10} {result.Case,-22} {value,14} {result.Unit,-6}{(result.Error is null ? "" : "  error: " + result.Error)}");
    }

    public double? Value(string system, string caseName) =>
        _results.FirstOrDefault(r => r.System == system && r.Case == caseName)?.Value;

    /// <summary>Prints and records how one figure compares with another, against a goal.</summary>
    public void Ratio(string label, (string System, string Case) numerator, (string System, string Case) denominator, double goal)
    {
        var a = Value(numerator.System, numerator.Case);
        var b = Value(denominator.System, denominator.Case);
        var text = a is null || b is null || b == 0
            ? $"{label}: n/a"
            : $"{label}: {a / b:F2}x (goal >= {goal}x) {(a / b >= goal ? "met" : "NOT met")}";
        _ratios.Add(text);
        Console.WriteLine("  " + text);
    }

    public void Write(string path)
    {
        var document = new Document(suite, quick, DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture), MachineInfo.Current(), _results, _ratios);
        File.WriteAllText(path, JsonSerializer.Serialize(document, Indented));
    }

    private sealed record Document(
        [property: JsonPropertyName("suite")] string Suite,
        [property: JsonPropertyName("quick")] bool Quick,
        [property: JsonPropertyName("date")] string Date,
        [property: JsonPropertyName("machine")] MachineInfo Machine,
        [property: JsonPropertyName("results")] IReadOnlyList<BenchResult> Results,
        [property: JsonPropertyName("ratios")] IReadOnlyList<string> Ratios);
}
