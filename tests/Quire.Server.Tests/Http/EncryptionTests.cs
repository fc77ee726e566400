using System.Net;
using System.Text;
using Quire.Server.Tests.Cli;
using Quire.TestSupport;

namespace Quire.Server.Tests.Http;

/// <summary>A server with nedbd's NEDB_TMK / NEDB_TMK_FILE, and <c>quire rewrap</c>, through the real binary.</summary>
public class EncryptionTests
{
    private const string Secret = "encrypted-at-rest-marker";
    private const string Query = """{"nql": "FROM notes"}""";
    private static readonly string KeyHex = new('c', 64);

    [Fact]
    public async Task A_server_with_a_master_key_encrypts_what_it_creates_and_says_so()
    {
        using var data = new TempDirectory("quire-encrypted");
        using (var server = new ServerProcess(ServerProcess.FreePort(), null, data, new Dictionary<string, string> { ["NEDB_TMK"] = KeyHex }))
        {
            Assert.Equal(HttpStatusCode.Created, (await server.SendAsync(HttpMethod.Post, "/v1/databases", """{"name":"secret"}""")).Status);
            var put = await server.SendAsync(HttpMethod.Post, "/v1/databases/secret/put", $$$"""{"coll":"notes","id":"n1","doc":{"text":"{{{Secret}}}"}}""");
            Assert.Equal(HttpStatusCode.OK, put.Status);

            var health = await server.SendAsync(HttpMethod.Get, "/health");
            Assert.True(health.Body.GetProperty("encrypted").GetBoolean());
            var detail = await server.SendAsync(HttpMethod.Get, "/v1/databases/secret");
            Assert.True(detail.Body.GetProperty("encrypted").GetBoolean());
            Assert.Contains("encrypting new databases", server.Output, StringComparison.Ordinal);
        }

        // Nothing in the directory shows the document.
        foreach (var file in Directory.EnumerateFiles(Path.Combine(data.Path, "secret"), "*", SearchOption.AllDirectories))
        {
            Assert.DoesNotContain(Secret, Encoding.Latin1.GetString(await File.ReadAllBytesAsync(file)), StringComparison.Ordinal);
        }

        // Without the key the database does not open: a clear 503, nothing else changes.
        using (var server = new ServerProcess(ServerProcess.FreePort(), null, data))
        {
            var refused = await server.SendAsync(HttpMethod.Post, "/v1/databases/secret/query", Query);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.Status);
            Assert.Contains("NEDB_TMK", refused.Body.GetProperty("error").GetString(), StringComparison.Ordinal);
            Assert.False((await server.SendAsync(HttpMethod.Get, "/health")).Body.GetProperty("encrypted").GetBoolean());
            Assert.DoesNotContain("   at ", server.Output, StringComparison.Ordinal);
        }

        // Another key: refused too, naming both fingerprints.
        using (var server = new ServerProcess(ServerProcess.FreePort(), null, data, new Dictionary<string, string> { ["NEDB_TMK"] = new string('d', 64) }))
        {
            var refused = await server.SendAsync(HttpMethod.Post, "/v1/databases/secret/query", Query);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.Status);
            Assert.Contains("another master key", refused.Body.GetProperty("error").GetString(), StringComparison.Ordinal);
        }

        // Rotate the key with quire rewrap; the new key (a file, as NEDB_TMK_FILE names it) opens it.
        var newKey = Path.Combine(data.Path, "..", $"new-key-{Guid.NewGuid():N}");
        await File.WriteAllBytesAsync(newKey, Enumerable.Range(0, 32).Select(i => (byte)(i * 7)).ToArray());
        var oldKey = newKey + ".old";
        await File.WriteAllTextAsync(oldKey, KeyHex + "\n");
        try
        {
            var (code, output, error) = QuireCli.Run("rewrap", "--data", data.Path, "--key-file", oldKey, "--new-key-file", newKey);
            Assert.True(code == 0, error);
            Assert.Contains("1 database(s) rewrapped", output, StringComparison.Ordinal);

            var again = QuireCli.Run("rewrap", "--data", data.Path, "--key-file", oldKey, "--new-key-file", newKey);
            Assert.Equal(1, again.Code);
            Assert.Contains("another master key", again.Error, StringComparison.Ordinal);

            using var server = new ServerProcess(ServerProcess.FreePort(), null, data, new Dictionary<string, string> { ["NEDB_TMK_FILE"] = newKey });
            var got = await server.SendAsync(HttpMethod.Post, "/v1/databases/secret/query", Query);
            Assert.Equal(HttpStatusCode.OK, got.Status);
            Assert.Equal(Secret, got.Body.GetProperty("rows")[0].GetProperty("text").GetString());
        }
        finally
        {
            File.Delete(newKey);
            File.Delete(oldKey);
        }
    }

    [Fact]
    public async Task Quire_encrypt_converts_a_stopped_servers_databases_keeping_documents_indexes_history_and_the_chain()
    {
        using var data = new TempDirectory("quire-encrypt");
        var env = new Dictionary<string, string> { ["NEDB_TMK"] = KeyHex };
        string before;
        string head;
        long middle;
        using (var server = new ServerProcess(ServerProcess.FreePort(), null, data))
        {
            await server.SendAsync(HttpMethod.Post, "/v1/databases", """{"name":"plain"}""");
            await server.SendAsync(HttpMethod.Post, "/v1/databases/plain/index", """{"coll":"notes","field":"n","kind":"sorted"}""");
            for (var i = 0; i < 20; i++)
            {
                await server.SendAsync(HttpMethod.Post, "/v1/databases/plain/put", $$$"""{"coll":"notes","id":"n{{{i % 10}}}","doc":{"n":{{{i}}},"text":"{{{Secret}}}"}}""");
            }

            middle = (await server.SendAsync(HttpMethod.Get, "/v1/databases/plain/verify")).Body.GetProperty("seq").GetInt64() - 5;
            before = (await server.SendAsync(HttpMethod.Post, "/v1/databases/plain/query", $$$"""{"nql": "FROM notes AS OF {{{middle}}} WHERE n > 3 ORDER BY n"}""")).Body.GetProperty("rows").GetRawText();
            head = (await server.SendAsync(HttpMethod.Get, "/v1/databases/plain/verify")).Body.GetProperty("head").GetString()!;

            var held = QuireCli.RunWith(env, "encrypt", "--data", data.Path);
            Assert.Equal(1, held.Code);
            Assert.Contains("stop it first", held.Error, StringComparison.Ordinal);
        }

        var (code, output, error) = QuireCli.RunWith(env, "encrypt", "--data", data.Path);
        Assert.True(code == 0, error);
        Assert.Contains("plain: encrypted as of seq", output, StringComparison.Ordinal);
        Assert.Empty(Directory.GetDirectories(data.Path, ".*"));
        foreach (var file in Directory.EnumerateFiles(Path.Combine(data.Path, "plain"), "*", SearchOption.AllDirectories))
        {
            Assert.DoesNotContain(Secret, Encoding.Latin1.GetString(await File.ReadAllBytesAsync(file)), StringComparison.Ordinal);
        }

        using (var server = new ServerProcess(ServerProcess.FreePort(), null, data, env))
        {
            Assert.True((await server.SendAsync(HttpMethod.Get, "/v1/databases/plain")).Body.GetProperty("encrypted").GetBoolean());
            var verify = await server.SendAsync(HttpMethod.Get, "/v1/databases/plain/verify");
            Assert.True(verify.Body.GetProperty("ok").GetBoolean());
            Assert.Equal(head, verify.Body.GetProperty("head").GetString());
            var after = await server.SendAsync(HttpMethod.Post, "/v1/databases/plain/query", $$$"""{"nql": "FROM notes AS OF {{{middle}}} WHERE n > 3 ORDER BY n"}""");
            Assert.True(after.Body.TryGetProperty("rows", out var rows), after.Body.GetRawText());
            Assert.Equal(before, rows.GetRawText());
            var plan = await server.SendAsync(HttpMethod.Post, "/v1/databases/plain/query", """{"nql": "EXPLAIN FROM notes WHERE n > 3 ORDER BY n"}""");
            Assert.Contains("index", plan.Body.GetRawText(), StringComparison.Ordinal);
        }

        var again = QuireCli.RunWith(env, "encrypt", "--data", data.Path);
        Assert.Equal(0, again.Code);
        Assert.Contains("0 database(s) encrypted", again.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_replica_and_a_backup_of_an_encrypted_database_stay_encrypted_and_open_with_the_same_key()
    {
        var env = new Dictionary<string, string> { ["NEDB_TMK"] = KeyHex };
        using var primaryData = new TempDirectory("quire-encrypted-primary");
        using var primary = new ServerProcess(ServerProcess.FreePort(), null, primaryData, env);
        await primary.SendAsync(HttpMethod.Post, "/v1/databases", """{"name":"secret"}""");
        for (var i = 0; i < 50; i++)
        {
            await primary.SendAsync(HttpMethod.Post, "/v1/databases/secret/put", $$$"""{"coll":"notes","id":"n{{{i}}}","doc":{"text":"{{{Secret}}}"}}""");
        }

        // A replica with the same key bootstraps from the primary's (sealed) copy and follows its log.
        using var replicaData = new TempDirectory("quire-encrypted-replica");
        using (var replica = new ServerProcess(ServerProcess.FreePort(), null, replicaData, env, "--replica-of", $"http://127.0.0.1:{primary.Port}"))
        {
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while ((await replica.SendAsync(HttpMethod.Post, "/v1/databases/secret/query", Query)) is var answer
                && (answer.Status != HttpStatusCode.OK || answer.Body.GetProperty("rows").GetArrayLength() < 50))
            {
                Assert.True(DateTime.UtcNow < deadline, $"the replica did not catch up:\n{replica.Output}");
                await Task.Delay(100);
            }

            Assert.True((await replica.SendAsync(HttpMethod.Get, "/v1/databases/secret")).Body.GetProperty("encrypted").GetBoolean());
        }

        foreach (var file in Directory.EnumerateFiles(Path.Combine(replicaData.Path, "secret"), "*", SearchOption.AllDirectories))
        {
            Assert.DoesNotContain(Secret, Encoding.Latin1.GetString(await File.ReadAllBytesAsync(file)), StringComparison.Ordinal);
        }

        // A backup is sealed too, and restores into a database the key opens.
        using var backups = new TempDirectory("quire-encrypted-backup");
        var backup = QuireCli.Run("backup", "secret", backups.Path, "--url", $"http://127.0.0.1:{primary.Port}");
        Assert.True(backup.Code == 0, backup.Error);
        var backupFile = Assert.Single(Directory.GetFiles(backups.Path));
        Assert.DoesNotContain(Secret, Encoding.Latin1.GetString(await File.ReadAllBytesAsync(backupFile)), StringComparison.Ordinal);
        using var restored = new TempDirectory("quire-encrypted-restored");
        var keyless = QuireCli.Run("restore", backupFile, "--data", restored.Path, "--name", "keyless");
        Assert.Equal(1, keyless.Code);
        Assert.Contains("it is encrypted", keyless.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", keyless.Error, StringComparison.Ordinal);
        var restore = QuireCli.RunWith(env, "restore", backupFile, "--data", restored.Path);
        Assert.True(restore.Code == 0, restore.Error);
        using var server = new ServerProcess(ServerProcess.FreePort(), null, restored, env);
        var rows = await server.SendAsync(HttpMethod.Post, "/v1/databases/secret/query", Query);
        Assert.Equal(50, rows.Body.GetProperty("rows").GetArrayLength());
        Assert.True((await server.SendAsync(HttpMethod.Get, "/v1/databases/secret")).Body.GetProperty("encrypted").GetBoolean());
    }

    [Fact]
    public void A_bad_master_key_stops_start_up_with_a_usage_error()
    {
        var (code, _, error) = QuireCli.RunWith(new Dictionary<string, string> { ["NEDB_TMK"] = "not-hex" }, "serve", "--port", ServerProcess.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(2, code);
        Assert.Contains("NEDB_TMK: a master key is 64 hex characters", error, StringComparison.Ordinal);

        var missing = QuireCli.Run("serve", "--key-file", "/nonexistent/key");
        Assert.Equal(2, missing.Code);
        Assert.Contains("the key file /nonexistent/key does not exist", missing.Error, StringComparison.Ordinal);
    }
}
