using System.Net;
using System.Text.Json;
using Quire.TestSupport;

namespace Quire.Server.Tests.Cli;

/// <summary><c>quire migrate-nedbd</c> through the real binary, on databases nedbd's own engine wrote, then served.</summary>
public class MigrateCommandTests
{
    private static readonly string Fixture = Path.Combine(RepositoryRoot.Path, "tests", "Quire.Tests", "Fixtures", "nedbd-v1");
    private static readonly string KeyHex = string.Concat(Enumerable.Repeat("8f", 32));

    [Fact]
    public async Task Migrates_every_nedbd_database_reports_what_it_could_not_carry_and_the_server_serves_the_result()
    {
        using var data = new TempDirectory("quire-migrated");
        var withKey = new Dictionary<string, string> { ["NEDB_TMK"] = KeyHex };

        var noKey = QuireCli.Run("migrate-nedbd", Fixture, data.Path);
        Assert.Equal(1, noKey.Code);                                  // shop moved, vault refused
        Assert.Contains("shop: 19 records to seq 18", noKey.Out, StringComparison.Ordinal);
        Assert.Contains("vault: the database is encrypted", noKey.Error, StringComparison.Ordinal);
        Directory.Delete(Path.Combine(data.Path, "shop"), recursive: true);

        var run = QuireCli.RunWith(withKey, "migrate-nedbd", Fixture, data.Path, "--json");
        Assert.True(run.Code == 0, run.Out + run.Error);
        var reports = run.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(["shop", "vault"], reports.Select(r => r.GetProperty("database").GetString()));
        Assert.All(reports, r => Assert.True(r.GetProperty("verified").GetBoolean()));
        Assert.True(reports[1].GetProperty("encrypted").GetBoolean());
        Assert.Equal([14, 18], reports[0].GetProperty("not_carried").EnumerateArray().Select(n => n.GetProperty("seq").GetInt32()));

        var again = QuireCli.RunWith(withKey, "migrate-nedbd", Fixture, data.Path, "--db", "shop");
        Assert.Equal(1, again.Code);
        Assert.Contains("already exists", again.Error, StringComparison.Ordinal);

        using var server = new ServerProcess(ServerProcess.FreePort(), null, data, withKey);
        var doc = await server.SendAsync(HttpMethod.Get, "/v1/databases/vault/docs/users/u1");
        Assert.Equal(HttpStatusCode.OK, doc.Status);
        Assert.Equal(11, doc.Body.GetProperty("_seq").GetInt64());
        var query = await server.SendAsync(HttpMethod.Post, "/v1/databases/shop/query", """{"nql":"FROM users WHERE city = \"Oslo\" ORDER BY _id"}""");
        Assert.Equal(HttpStatusCode.OK, query.Status);
        Assert.Equal(["u1", "u4"], query.Body.GetProperty("rows").EnumerateArray().Select(r => r.GetProperty("_id").GetString()));
    }
}
