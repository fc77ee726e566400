namespace Quire.Server.Tests;

/// <summary>The layering rules the issue that made the service layer set down, checked on the sources.</summary>
public class ArchitectureTests
{
    [Fact]
    public void No_transport_uses_a_storage_type()
    {
        var transports = Path.Combine(RepositoryRoot.Path, "src", "Quire.Server", "Http");
        var offenders = Directory.GetFiles(transports, "*.cs", SearchOption.AllDirectories)
            .Where(file => File.ReadAllText(file).Contains("Quire.Storage", StringComparison.Ordinal))
            .Select(file => Path.GetRelativePath(transports, file))
            .ToList();
        Assert.True(offenders.Count == 0, $"transport files naming Quire.Storage: {string.Join(", ", offenders)}");
    }

    [Fact]
    public void The_documents_layers_folders_depend_on_each_other_without_cycles()
    {
        var layer = Path.Combine(RepositoryRoot.Path, "src", "Quire");
        var folders = Directory.GetDirectories(layer).Select(Path.GetFileName).OfType<string>().Where(f => f is not ("bin" or "obj")).ToList();
        var uses = folders.ToDictionary(f => f, f =>
        {
            var code = string.Join('\n', Directory.GetFiles(Path.Combine(layer, f), "*.cs", SearchOption.AllDirectories)
                .SelectMany(File.ReadAllLines).Where(line => !line.TrimStart().StartsWith("///", StringComparison.Ordinal)));
            return folders.Where(other => other != f && System.Text.RegularExpressions.Regex.IsMatch(code, $@"using Quire\.{other}(\.[A-Za-z]+)?;|\bQuire\.{other}\.")).ToHashSet();
        });

        foreach (var (folder, used) in uses)
        {
            foreach (var other in used)
            {
                Assert.False(Reaches(other, folder, []), $"{folder} uses {other}, and {other} leads back to {folder}");
            }
        }

        bool Reaches(string from, string to, HashSet<string> seen) =>
            uses[from].Any(next => next == to || (seen.Add(next) && Reaches(next, to, seen)));
    }

    [Fact]
    public void No_source_file_is_over_500_lines()
    {
        var src = Path.Combine(RepositoryRoot.Path, "src");
        var tooLong = Directory.GetFiles(src, "*.cs", SearchOption.AllDirectories)
            .Where(file => !file.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Select(file => (File: Path.GetRelativePath(src, file), Lines: File.ReadLines(file).Count()))
            .Where(f => f.Lines > 500)
            .ToList();
        Assert.True(tooLong.Count == 0, $"over 500 lines: {string.Join(", ", tooLong.Select(f => $"{f.File} ({f.Lines})"))}");
    }
}
