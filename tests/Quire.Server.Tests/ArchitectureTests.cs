namespace Quire.Server.Tests;

/// <summary>The layering rules the issue that made the service layer set down, checked on the sources.</summary>
public class ArchitectureTests
{
    private static string Root()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Quire.slnx")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("the repository root (Quire.slnx) is not above the test assembly");
    }

    [Fact]
    public void No_transport_uses_a_storage_type()
    {
        var transports = Path.Combine(Root(), "src", "Quire.Server", "Http");
        var offenders = Directory.GetFiles(transports, "*.cs", SearchOption.AllDirectories)
            .Where(file => File.ReadAllText(file).Contains("Quire.Storage", StringComparison.Ordinal))
            .Select(file => Path.GetRelativePath(transports, file))
            .ToList();
        Assert.True(offenders.Count == 0, $"transport files naming Quire.Storage: {string.Join(", ", offenders)}");
    }
}
