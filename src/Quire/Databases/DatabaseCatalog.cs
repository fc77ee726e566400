using Quire.Documents;

namespace Quire.Databases;

/// <summary>
/// The databases under one root directory, a subdirectory each. Creating and dropping
/// are atomic: a database is built under a hidden name and renamed into place, and a
/// drop renames it away before deleting it, each rename made durable by an fsync of the
/// root. Databases open on first use and stay open until the catalog is disposed.
/// </summary>
public sealed partial class DatabaseCatalog : IDisposable
{
    private const string HiddenPrefix = ".";
    private readonly Dictionary<string, Database> _open = new(StringComparer.Ordinal);
    private DatabaseOptions _options;
    private bool _disposed;

    private DatabaseCatalog(string root, DatabaseOptions options)
    {
        Root = root;
        _options = options;
    }

    /// <summary>The root directory.</summary>
    public string Root { get; }

    /// <summary>Opens the catalog of <paramref name="root"/>, creating the directory if needed and clearing leftovers of interrupted creates and drops.</summary>
    public static DatabaseCatalog Open(string root, DatabaseOptions? options = null)
    {
        root = Path.GetFullPath(root);
        System.IO.Directory.CreateDirectory(root);
        foreach (var leftover in System.IO.Directory.GetDirectories(root, HiddenPrefix + "*"))
        {
            // Only this catalog's own leftovers: the root may be a directory with other hidden entries.
            if (LeftoverName().IsMatch(Path.GetFileName(leftover)))
            {
                System.IO.Directory.Delete(leftover, recursive: true);
            }
        }

        return new DatabaseCatalog(root, options ?? new DatabaseOptions());
    }

    /// <summary>The names of every database, in order.</summary>
    public IReadOnlyList<string> List()
    {
        lock (_open)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return System.IO.Directory.GetDirectories(Root)
                .Select(Path.GetFileName)
                .OfType<string>()
                .Where(Names.IsDatabaseName)
                .Where(name => File.Exists(Path.Combine(Root, name, FormatRecord.FileName)))
                .Order(StringComparer.Ordinal)
                .ToList();
        }
    }

    /// <summary>True when databases created from now on are encrypted (a master key is set); existing ones keep what they are.</summary>
    public bool EncryptsNewDatabases => _options.Storage.MasterKey is not null;

    /// <summary>True when the database exists.</summary>
    public bool Exists(string name) => Names.IsDatabaseName(name) && System.IO.Directory.Exists(PathOf(name));

    /// <summary>The databases open now.</summary>
    public IReadOnlyList<Database> OpenDatabases()
    {
        lock (_open)
        {
            return [.. _open.Values];
        }
    }

    /// <summary>
    /// Makes every database a primary (a replica promoted): the open ones take writes at once,
    /// the others open as primaries from now on.
    /// </summary>
    public void PromoteAll()
    {
        lock (_open)
        {
            _options = _options with { ReplicaOf = null };
            foreach (var database in _open.Values)
            {
                database.Promote();
            }
        }
    }

    /// <summary>Creates a database.</summary>
    /// <exception cref="InvalidNameException">The name breaks the rules.</exception>
    /// <exception cref="DatabaseExistsException">It exists.</exception>
    public Database Create(string name)
    {
        Names.CheckDatabase(name);
        lock (_open)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var path = PathOf(name);
            if (System.IO.Directory.Exists(path))
            {
                throw new DatabaseExistsException($"database already exists: {name}");
            }

            var building = Path.Combine(Root, $"{HiddenPrefix}{name}.creating-{Guid.NewGuid():N}");
            System.IO.Directory.CreateDirectory(building);
            Database.Create(building, _options);
            System.IO.Directory.Move(building, path);
            SyncRoot();
            var database = Database.Open(name, path, _options);
            _open[name] = database;
            return database;
        }
    }

    /// <summary>
    /// Makes the database <paramref name="name"/> a copy read from <paramref name="source"/>
    /// (<see cref="DatabaseCopy"/>; a replica's bootstrap), replacing the one of that name if
    /// any: the copy is built aside and swapped in once whole, and the old one is closed and
    /// deleted. Returns the new database, opened.
    /// </summary>
    /// <exception cref="Storage.Format.CorruptDataException">The stream is not a whole, intact copy; nothing changed.</exception>
    public Task<Database> ReplaceFromCopyAsync(string name, Stream source, CancellationToken cancellationToken = default) =>
        ReplaceFromCopyAsync(name, source, [], cancellationToken);

    /// <summary>
    /// As <see cref="ReplaceFromCopyAsync(string, Stream, CancellationToken)"/>, then each of
    /// <paramref name="packs"/> (page packs written after the copy, <see cref="DatabaseCopy.WritePackAsync"/>,
    /// each opened when its turn comes) applied in order: the database as of the last pack.
    /// </summary>
    public async Task<Database> ReplaceFromCopyAsync(string name, Stream source, IReadOnlyList<Func<CancellationToken, Task<Stream>>> packs, CancellationToken cancellationToken = default)
    {
        Names.CheckDatabase(name);
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(packs);
        var building = Path.Combine(Root, $"{HiddenPrefix}{name}.creating-{Guid.NewGuid():N}");
        try
        {
            await DatabaseCopy.ReceiveAsync(source, packs, building, _options, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            if (System.IO.Directory.Exists(building))
            {
                System.IO.Directory.Delete(building, recursive: true);
            }

            throw;
        }

        lock (_open)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_open.Remove(name, out var old))
            {
                old.Dispose();
            }

            var path = PathOf(name);
            var dropping = Path.Combine(Root, $"{HiddenPrefix}{name}.dropping-{Guid.NewGuid():N}");
            if (System.IO.Directory.Exists(path))
            {
                System.IO.Directory.Move(path, dropping);
            }

            System.IO.Directory.Move(building, path);
            SyncRoot();
            if (System.IO.Directory.Exists(dropping))
            {
                System.IO.Directory.Delete(dropping, recursive: true);
            }

            var database = Database.Open(name, path, _options);
            _open[name] = database;
            return database;
        }
    }

    /// <summary>The database, opened if it is not yet.</summary>
    /// <exception cref="InvalidNameException">The name breaks the rules.</exception>
    /// <exception cref="DatabaseNotFoundException">It does not exist.</exception>
    public Database Get(string name)
    {
        Names.CheckDatabase(name);
        lock (_open)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_open.TryGetValue(name, out var database))
            {
                return database;
            }

            var path = PathOf(name);
            if (!System.IO.Directory.Exists(path))
            {
                throw new DatabaseNotFoundException($"database not found: {name}");
            }

            database = Database.Open(name, path, _options);
            _open[name] = database;
            return database;
        }
    }

    /// <summary>Closes and deletes a database; false when it did not exist.</summary>
    /// <exception cref="InvalidNameException">The name breaks the rules.</exception>
    public bool Drop(string name)
    {
        Names.CheckDatabase(name);
        lock (_open)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var path = PathOf(name);
            if (!System.IO.Directory.Exists(path))
            {
                return false;
            }

            if (_open.Remove(name, out var database))
            {
                database.Dispose();
            }

            var dropping = Path.Combine(Root, $"{HiddenPrefix}{name}.dropping-{Guid.NewGuid():N}");
            System.IO.Directory.Move(path, dropping);
            SyncRoot();
            System.IO.Directory.Delete(dropping, recursive: true);
            return true;
        }
    }

    /// <summary>Closes every open database.</summary>
    public void Dispose()
    {
        lock (_open)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            foreach (var database in _open.Values)
            {
                database.Dispose();
            }

            _open.Clear();
        }
    }

    private string PathOf(string name) => Path.Combine(Root, name);

    [System.Text.RegularExpressions.GeneratedRegex("^\\.[A-Za-z0-9][A-Za-z0-9_-]{0,63}\\.(creating|dropping)-[0-9a-f]{32}$")]
    private static partial System.Text.RegularExpressions.Regex LeftoverName();

    private void SyncRoot() => _options.Storage.FileSystem.SyncDirectory(Root);
}
