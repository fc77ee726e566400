using System.Text.Json;
using Quire.Databases;
using Quire.Storage.Engine;
using Quire.TestSupport;

namespace Quire.Tests;

/// <summary>A database in a temp directory, reopened on demand.</summary>
internal sealed class DocumentsFixture : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly DatabaseOptions _options;
    private DatabaseCatalog _catalog;

    public DocumentsFixture(DatabaseOptions? options = null)
    {
        _options = options ?? new DatabaseOptions { Storage = new StorageOptions { Durability = Durability.Batch } };
        _catalog = DatabaseCatalog.Open(_dir.Path, _options);
        Db = _catalog.Create("test");
    }

    public Database Db { get; private set; }

    public string Path => _dir.Path;

    public void Reopen()
    {
        _catalog.Dispose();
        _catalog = DatabaseCatalog.Open(_dir.Path, _options);
        Db = _catalog.Get("test");
    }

    /// <summary>Replaces the database with a copy read from <paramref name="source"/> (a replica's bootstrap).</summary>
    public async Task ReplaceFromCopyAsync(Stream source) => Db = await _catalog.ReplaceFromCopyAsync("test", source);

    public async Task ReplaceFromCopyAsync(Stream source, IReadOnlyList<byte[]> packs) =>
        Db = await _catalog.ReplaceFromCopyAsync("test", source, [.. packs.Select(p => (Func<CancellationToken, Task<Stream>>)(_ => Task.FromResult<Stream>(new MemoryStream(p))))]);

    public static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement;

    public void Dispose()
    {
        _catalog.Dispose();
        _dir.Dispose();
    }
}
