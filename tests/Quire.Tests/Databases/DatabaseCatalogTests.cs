using System.Text.Json;
using Quire.Databases;
using Quire.Documents;
using Quire.Storage.Format;
using Quire.TestSupport;

namespace Quire.Tests.Databases;

public class DatabaseCatalogTests
{
    [Fact]
    public async Task Databases_are_created_listed_reopened_and_dropped()
    {
        using var dir = new TempDirectory();
        using (var catalog = DatabaseCatalog.Open(dir.Path))
        {
            var db = catalog.Create("shop");
            catalog.Create("a-1_b");
            await db.PutAsync("items", "x", Json("""{"n": 1}"""));
            Assert.Equal(["a-1_b", "shop"], catalog.List());
            Assert.Throws<DatabaseExistsException>(() => catalog.Create("shop"));
        }

        using (var catalog = DatabaseCatalog.Open(dir.Path))
        {
            Assert.Equal(["a-1_b", "shop"], catalog.List());
            Assert.NotNull(catalog.Get("shop").Get("items", "x"));
            Assert.True(catalog.Drop("shop"));
            Assert.False(catalog.Drop("shop"));
            Assert.Equal(["a-1_b"], catalog.List());
            Assert.Throws<DatabaseNotFoundException>(() => catalog.Get("shop"));
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("-lead")]
    [InlineData("has space")]
    [InlineData("dot.name")]
    [InlineData("../escape")]
    [InlineData("abc\n")]
    [InlineData("a2345678901234567890123456789012345678901234567890123456789012345")]
    public void Bad_database_names_are_refused_and_create_nothing(string name)
    {
        using var dir = new TempDirectory();
        using var catalog = DatabaseCatalog.Open(dir.Path);
        var error = Assert.Throws<InvalidNameException>(() => catalog.Create(name));
        Assert.Equal($"invalid database name: '{name}'", error.Message);
        Assert.Empty(Directory.GetFileSystemEntries(dir.Path));
    }

    [Fact]
    public void A_new_database_starts_at_seq_0_and_records_its_formats()
    {
        using var dir = new TempDirectory();
        using var catalog = DatabaseCatalog.Open(dir.Path);
        var db = catalog.Create("d");
        Assert.Equal(-1, db.Seq);
        var header = File.ReadAllText(Path.Combine(db.Directory, "format.json"));
        Assert.Contains("\"key_encoding\":1", header, StringComparison.Ordinal);
        Assert.Contains("\"analyzer\":1", header, StringComparison.Ordinal);
    }

    [Fact]
    public void A_database_of_an_unknown_format_is_refused()
    {
        using var dir = new TempDirectory();
        using (var catalog = DatabaseCatalog.Open(dir.Path))
        {
            catalog.Create("d");
        }

        File.WriteAllText(Path.Combine(dir.Path, "d", "format.json"), """{"key_encoding": 99, "analyzer": 1}""");
        using (var catalog = DatabaseCatalog.Open(dir.Path))
        {
            var error = Assert.Throws<IncompatibleFormatException>(() => catalog.Get("d"));
            Assert.Contains("key encoding 99", error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Leftovers_of_an_interrupted_create_or_drop_are_cleared_and_never_listed()
    {
        using var dir = new TempDirectory();
        Directory.CreateDirectory(Path.Combine(dir.Path, $".x.creating-{Guid.NewGuid():N}"));
        Directory.CreateDirectory(Path.Combine(dir.Path, $".y.dropping-{Guid.NewGuid():N}"));
        Directory.CreateDirectory(Path.Combine(dir.Path, ".git"));       // not ours: left alone
        using var catalog = DatabaseCatalog.Open(dir.Path);
        Assert.Empty(catalog.List());
        Assert.Equal([Path.Combine(dir.Path, ".git")], Directory.GetFileSystemEntries(dir.Path));
    }

    private static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement;
}
