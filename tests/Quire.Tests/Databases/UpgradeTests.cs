using System.Text.Json;
using Quire.Databases;
using Quire.TestSupport;

namespace Quire.Tests.Databases;

/// <summary>A database written by an earlier main opens, upgraded, with everything in it.</summary>
public class UpgradeTests
{
    private static TempDirectory CopyOfFixture()
    {
        var copy = new TempDirectory("quire-upgrade");
        var source = Path.Combine(AppContext.BaseDirectory, "Fixtures", "main-2026-12-06");
        foreach (var file in Directory.GetFiles(Path.Combine(source, "legacy"), "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(copy.Path, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }

        return copy;
    }

    [Fact]
    public async Task Expiries_in_milliseconds_become_seconds_on_open_and_nothing_else_changes()
    {
        using var data = CopyOfFixture();
        long seqAfterUpgrade;
        using (var catalog = DatabaseCatalog.Open(data.Path))
        {
            var db = catalog.Get("legacy");
            var s1 = JsonDocument.Parse(db.Get("sessions", "s1")!.Json).RootElement;
            Assert.Equal(4102444800, s1.GetProperty("_expires_at").GetInt64());   // 2100-01-01, now in seconds
            Assert.Equal("u1", s1.GetProperty("user").GetString());
            var s2 = JsonDocument.Parse(db.Get("sessions", "s2")!.Json).RootElement;
            var s2Expiry = s2.GetProperty("_expires_at").GetDouble();
            Assert.InRange(s2Expiry, DateTimeOffset.UtcNow.AddYears(60).ToUnixTimeSeconds(), DateTimeOffset.UtcNow.AddYears(71).ToUnixTimeSeconds());
            Assert.Null(db.Get("sessions", "old"));                                  // expired then, expired now

            // The rest is as it was: documents, the deleted one, the index, the link, the chain.
            Assert.Equal("ada", JsonDocument.Parse(db.Get("users", "u1")!.Json).RootElement.GetProperty("name").GetString());
            Assert.Null(db.Get("users", "u2"));
            Assert.Single(db.Query("FROM users WHERE status = active").Rows);
            Assert.NotEqual(Quire.Query.AccessPath.FullScan, db.Explain("FROM users WHERE status = active").Access);
            Assert.Equal(["users:u2"], db.Neighbors("users:u1", "knows"));
            Assert.True(db.Verify().Ok, db.Verify().Problem);
            var upgradeOps = db.ReadLog(10).Where(r => r.Client == "quire-upgrade").Select(r => r.Payload.GetProperty("id").GetString()).Order();
            Assert.Equal(["old", "s1", "s2"], upgradeOps);

            // A client that reads a document and writes it back keeps its expiry.
            await db.PutAsync("sessions", "s1", s1);
            Assert.Equal(4102444800, JsonDocument.Parse(db.Get("sessions", "s1")!.Json).RootElement.GetProperty("_expires_at").GetInt64());
            seqAfterUpgrade = db.Seq;
        }

        Assert.Contains("\"documents\":2", File.ReadAllText(Path.Combine(data.Path, "legacy", "format.json")), StringComparison.Ordinal);
        using (var catalog = DatabaseCatalog.Open(data.Path))
        {
            Assert.Equal(seqAfterUpgrade, catalog.Get("legacy").Seq);   // upgraded once: a second open rewrites nothing
        }
    }

    [Fact]
    public async Task History_starts_at_the_first_open_that_keeps_it_and_earlier_seqs_are_refused_by_name()
    {
        using var data = CopyOfFixture();
        using var catalog = DatabaseCatalog.Open(data.Path);
        var db = catalog.Get("legacy");
        var floor = db.HistoryFloor ?? throw new Xunit.Sdk.XunitException("history is kept by default");
        Assert.True(floor > 0, "the fixture was written without history: its versions before the open are not known");

        var refused = Assert.Throws<Quire.Query.NqlException>(() => db.Query($"FROM users AS OF {floor - 1}"));
        Assert.Contains($"starts at seq {floor}", refused.Message, StringComparison.Ordinal);

        // From the floor on, AS OF reads what was there, and sees changes made since as not yet made.
        Assert.Equal("ada", JsonDocument.Parse(Assert.Single(db.Query($"FROM users AS OF {floor} WHERE status = active").Rows)).RootElement.GetProperty("name").GetString());
        var before = db.Seq;
        await db.PutAsync("users", "u1", JsonDocument.Parse("""{"name": "ada lovelace", "status": "away"}""").RootElement);
        Assert.Single(db.Query($"FROM users AS OF {before} WHERE status = active").Rows);
        Assert.Empty(db.Query("FROM users WHERE status = active").Rows);
    }

    [Fact]
    public void A_database_with_a_newer_documents_form_is_refused_not_misread()
    {
        using var data = CopyOfFixture();
        File.WriteAllText(Path.Combine(data.Path, "legacy", "format.json"), """{"key_encoding":1,"analyzer":1,"documents":99}""");
        using var catalog = DatabaseCatalog.Open(data.Path);
        var error = Assert.Throws<Quire.Storage.Format.IncompatibleFormatException>(() => catalog.Get("legacy"));
        Assert.Contains("newer", error.Message, StringComparison.Ordinal);
    }
}
