using System.Runtime.InteropServices;
using System.Text.Json.Serialization;

namespace Quire.Bench.Harness;

/// <summary>The machine a run was made on, as BENCH.md's JSON wants it.</summary>
public sealed record MachineInfo(
    [property: JsonPropertyName("cores")] int Cores,
    [property: JsonPropertyName("memory_gb")] double MemoryGb,
    [property: JsonPropertyName("os")] string Os,
    [property: JsonPropertyName("runtime")] string Runtime)
{
    public static MachineInfo Current() => new(
        Environment.ProcessorCount,
        Math.Round(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1024.0 * 1024 * 1024)),
        RuntimeInformation.OSDescription,
        RuntimeInformation.FrameworkDescription);
}
