namespace Quire.Bench.Harness;

/// <summary>A fresh directory under the system temp dir for one system's run, removed afterwards.</summary>
public sealed class BenchDirectory : IDisposable
{
    public BenchDirectory(string system)
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"quire-bench-{system}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
