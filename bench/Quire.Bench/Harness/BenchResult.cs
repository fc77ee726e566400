using System.Text.Json.Serialization;

namespace Quire.Bench.Harness;

/// <summary>One figure: a system's value for a case. A case that could not run has a null value and an error.</summary>
public sealed record BenchResult(
    [property: JsonPropertyName("system")] string System,
    [property: JsonPropertyName("case")] string Case,
    [property: JsonPropertyName("value")] double? Value,
    [property: JsonPropertyName("unit")] string Unit,
    [property: JsonPropertyName("error")][property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Error = null);
