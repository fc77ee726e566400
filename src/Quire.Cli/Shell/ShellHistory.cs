namespace Quire.Cli.Shell;

/// <summary>The statements entered, oldest first, kept in <c>~/.quire_history</c> (the last 1,000) across sessions.</summary>
internal sealed class ShellHistory
{
    private const int Kept = 1000;
    private readonly List<string> _entries = [];
    private readonly string? _path;

    public ShellHistory(string? path)
    {
        _path = path;
        if (path is not null && File.Exists(path))
        {
            _entries.AddRange(File.ReadAllLines(path).Where(l => l.Length > 0).TakeLast(Kept));
        }
    }

    public int Count => _entries.Count;

    public string this[int index] => _entries[index];

    /// <summary>Adds a line (not twice in a row) and saves the history; a history that cannot be saved is only kept in memory.</summary>
    public void Add(string line)
    {
        if (line.Length == 0 || (_entries.Count > 0 && _entries[^1] == line))
        {
            return;
        }

        _entries.Add(line);
        if (_path is null)
        {
            return;
        }

        try
        {
            File.WriteAllLines(_path, _entries.TakeLast(Kept));
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
