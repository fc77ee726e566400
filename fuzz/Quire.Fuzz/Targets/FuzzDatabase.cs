using System.Text.Json;
using Quire.Databases;
using Quire.Documents;
using Quire.Indexes;
using Quire.Storage.Engine;

namespace Quire.Fuzz.Targets;

/// <summary>A small database the query, op and mongo targets run against: a few documents with each index kind, links, in a temp directory.</summary>
internal sealed class FuzzDatabase : IDisposable
{
    private static readonly Lazy<FuzzDatabase> Lazy = new(() => new FuzzDatabase());

    private readonly string _root = Path.Combine(Path.GetTempPath(), $"quire-fuzz-{Environment.ProcessId}-{Guid.NewGuid():N}");
    private readonly DatabaseCatalog _catalog;

    public FuzzDatabase()
    {
        _catalog = DatabaseCatalog.Open(_root, new DatabaseOptions { Storage = new StorageOptions { Durability = Durability.Async } });
        Db = _catalog.Create("fuzz");
        Db.CreateIndexAsync("c", "n", IndexKind.Sorted).GetAwaiter().GetResult();
        Db.CreateIndexAsync("c", "s", IndexKind.Eq).GetAwaiter().GetResult();
        Db.CreateIndexAsync("c", "text", IndexKind.Search).GetAwaiter().GetResult();
        var ops = new List<DocumentOp>();
        for (var i = 0; i < 20; i++)
        {
            ops.Add(DocumentOp.Put("c", $"d{i}", JsonDocument.Parse($$$"""{"n": {{{i}}}, "s": "v{{{i % 3}}}", "text": "word{{{i}}} shared", "tags": ["a", "b{{{i}}}"], "o": {"x": {{{i * 1.5}}}}}""").RootElement));
        }

        ops.Add(DocumentOp.Link("c:d1", "knows", "c:d2"));
        Db.BatchAsync(ops).GetAwaiter().GetResult();
    }

    /// <summary>The one database of this process, made on first use and shared by the query, op and mongo targets (what they write stays: fuzzing needs no particular content).</summary>
    public static Database Shared => Lazy.Value.Db;

    public Database Db { get; }

    public void Dispose()
    {
        _catalog.Dispose();
        Directory.Delete(_root, recursive: true);
    }
}
