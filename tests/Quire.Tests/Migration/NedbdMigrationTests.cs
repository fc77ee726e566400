using System.Text;
using System.Text.Json;
using Quire.Databases;
using Quire.Documents;
using Quire.Migration;
using Quire.Storage.Crypto;
using Quire.TestSupport;

namespace Quire.Tests.Migration;

/// <summary>
/// <see cref="NedbdMigration"/> on databases written by nedbd's own engine (the fixture and
/// <c>make_fixture.py</c> that made it): every op at its seq, with what nedbd recorded about it.
/// </summary>
public class NedbdMigrationTests
{
    internal static readonly string Fixture = Path.Combine(AppContext.BaseDirectory, "Fixtures", "nedbd-v1");
    internal static readonly byte[] NedbdKey = Convert.FromHexString(string.Concat(Enumerable.Repeat("8f", 32)));

    [Fact]
    public async Task A_plaintext_database_moves_with_seqs_clients_nonces_idems_times_ttls_provenance_links_files_and_indexes()
    {
        using var target = new TempDirectory("quire-migrate");
        var report = await NedbdMigration.MigrateAsync(Path.Combine(Fixture, "shop"), target.Path, "shop", [], null);

        Assert.True(report.Verified, string.Join("; ", report.Mismatches));
        Assert.Equal(19, report.Records);
        Assert.Equal(18, report.LastSeq);
        Assert.Equal(0, report.ChainBreakCount);           // nedbd's chain, recomputed the way its Python writes it
        Assert.Null(report.StoppedEarly);
        Assert.Equal((9, 5, 2, 1), (report.DocumentOps, report.LinkOps, report.FileVersions, report.Checkpoints));
        Assert.Equal(["users.city (eq)", "users.age (ordered)", "notes.t (search)"], report.Indexes);   // the last only in meta.json
        Assert.Equal(1, report.ExpiredDocuments);
        Assert.Equal([(14L, "put_file"), (18L, "put_file")], report.NotCarried.Select(n => (n.Seq, n.Op)));
        Assert.Contains("LZMA", report.NotCarried[0].Reason, StringComparison.Ordinal);
        Assert.Contains("snapshot", report.NotCarried[1].Reason, StringComparison.Ordinal);

        using var catalog = DatabaseCatalog.Open(target.Path);
        var db = catalog.Get("shop");
        Assert.False(db.IsEncrypted);
        Assert.Equal(11, db.Get("users", "u1")!.Seq);       // deleted at 10, put again at 11
        Assert.Equal(17, db.Get("users", "u2")!.Seq);
        Assert.Equal(3, db.Get("users", "u3")!.Seq);
        Assert.Equal(16, db.Get("users", "u4")!.Seq);
        Assert.Null(db.Get("sessions", "s1"));               // its TTL passed in nedbd with no sweep after it

        var note = JsonDocument.Parse(db.Get("notes", "n1")!.Json).RootElement;
        Assert.Equal(2, note.GetProperty("_seq").GetInt64());
        Assert.Equal(1, note.GetProperty("_caused_by")[0].GetInt64());
        Assert.Equal("inference", note.GetProperty("_evidence").GetString());
        Assert.Equal(0.9, note.GetProperty("_confidence").GetDouble());
        Assert.Equal("2024-12-31", note.GetProperty("_valid_to").GetString());

        // History: u2 as nedbd first wrote it, with its TTL and the characters outside ASCII.
        var first = db.Query("FROM users AS OF 1 WHERE _id = \"u2\"").Rows.Single();
        var u2 = JsonDocument.Parse(first).RootElement;
        Assert.Equal("B\u00f8 \U0001F600", u2.GetProperty("name").GetString());
        Assert.Equal("12345678901234567890", u2.GetProperty("big").GetRawText());
        Assert.InRange(u2.GetProperty("_expires_at").GetDouble(), DateTimeOffset.UtcNow.AddYears(8).ToUnixTimeSeconds(), DateTimeOffset.UtcNow.AddYears(10).ToUnixTimeSeconds());

        // The op log: each record with nedbd's client, nonce, idempotency key and write time.
        var log = db.EnumerateLog(100).ToDictionary(r => r.Seq);
        var nedbd = FixtureRecords("shop");
        Assert.Equal("svc", log[1].Client);
        Assert.Equal(10, log[1].Nonce);
        Assert.Equal("shop-k1", log[1].Idem);
        foreach (var seq in new long[] { 0, 1, 2, 5, 10, 11, 16, 17 })
        {
            Assert.Equal((long)Math.Round(nedbd[seq].GetProperty("ts").GetDouble() * 1000), log[seq].Ts);
        }

        Assert.False(log.ContainsKey(15));                 // the checkpoint marker holds its seq, with no op
        Assert.Equal(["notes:n1"], db.Neighbors("users:u1", "wrote"));   // linked, unlinked, linked again
        Assert.Empty(db.Neighbors("users:u3", "follows"));               // linked, then unlinked

        Assert.Equal(Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("hello world", 100))), db.GetFile("a.txt", 0)!.Data);
        Assert.Equal(Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("hello again ", 50))), db.GetFile("a.txt", 1)!.Data);
        Assert.Equal(nedbd[13].GetProperty("payload").GetProperty("root").GetString(), db.GetFile("a.txt", 1)!.Root);

        Assert.Equal(["u1", "u4"], db.Query("FROM users WHERE city = \"Oslo\"").Rows.Select(r => JsonDocument.Parse(r).RootElement.GetProperty("_id").GetString()).Order());
        Assert.Contains("index", db.Explain("FROM users WHERE city = \"Oslo\"").ToString(), StringComparison.OrdinalIgnoreCase);

        // Replay protection carries over: the idempotency key answers with nedbd's op, and svc's nonces go on from 12.
        var replayed = await db.WriteAsync(DocumentOp.Put("users", "u9", JsonDocument.Parse("{}").RootElement) with { Idem = "shop-k1" });
        Assert.True(replayed.Replayed);
        Assert.Equal(1, replayed.Seq);
        await Assert.ThrowsAsync<NonceReplayException>(() => db.BatchAsync([DocumentOp.Delete("users", "u3")], new BatchOptions { Client = "svc", Nonce = 12 }));
        Assert.True(db.Verify().Ok);
    }

    [Fact]
    public async Task An_encrypted_database_needs_nedbds_key_and_stays_encrypted_under_the_quire_master_key()
    {
        using var target = new TempDirectory("quire-migrate");
        var vault = Path.Combine(Fixture, "vault");
        var missing = await Assert.ThrowsAsync<NedbdFormatException>(() => NedbdMigration.MigrateAsync(vault, target.Path, "vault", [], null));
        Assert.Contains("encrypted", missing.Message, StringComparison.Ordinal);
        var wrong = await Assert.ThrowsAsync<NedbdFormatException>(() => NedbdMigration.MigrateAsync(vault, target.Path, "vault", [new byte[32]], null));
        Assert.Contains("does not open", wrong.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(target.Path, "vault")));

        var master = MasterKey.FromBytes(NedbdKey);
        var report = await NedbdMigration.MigrateAsync(vault, target.Path, "vault", [new byte[32], NedbdKey], master);
        Assert.True(report.Verified, string.Join("; ", report.Mismatches));
        Assert.True(report.Encrypted);
        Assert.Equal(0, report.ChainBreakCount);
        Assert.Equal(2, report.FileVersions);                // chunks sealed inside the sealed snapshot

        using var catalog = DatabaseCatalog.Open(target.Path, new DatabaseOptions { Storage = new() { MasterKey = master } });
        var db = catalog.Get("vault");
        Assert.True(db.IsEncrypted);
        Assert.Equal(11, db.Get("users", "u1")!.Seq);
        Assert.Equal("vault-k1", db.EnumerateLog(100).Single(r => r.Seq == 1).Idem);
    }

    [Fact]
    public async Task A_torn_tail_stops_the_read_as_nedbd_does_and_a_forged_record_is_reported_but_carried()
    {
        using var source = new TempDirectory("nedbd-copy");
        using var target = new TempDirectory("quire-migrate");
        var lines = File.ReadAllLines(Path.Combine(Fixture, "shop", "log.aof")).ToList();
        lines[3] = lines[3].Replace("\"Cy\"", "\"Cyd\"", StringComparison.Ordinal);          // changed after it was hashed
        lines.Add(lines[^1][..40]);                                                           // a write cut short
        lines.Add(lines[^2]);
        Directory.CreateDirectory(Path.Combine(source.Path, "shop"));
        File.WriteAllLines(Path.Combine(source.Path, "shop", "log.aof"), lines);

        var report = await NedbdMigration.MigrateAsync(Path.Combine(source.Path, "shop"), target.Path, "shop", [], null);
        Assert.Equal(19, report.Records);
        Assert.Contains("line 20", report.StoppedEarly, StringComparison.Ordinal);
        Assert.Contains("1 line(s) after it", report.StoppedEarly, StringComparison.Ordinal);
        Assert.Equal(1, report.ChainBreakCount);
        Assert.Equal((3L, 4), report.ChainBreaks[0]);
        Assert.True(report.Verified, string.Join("; ", report.Mismatches));
        Assert.Empty(report.Indexes);                                                         // no meta.json, no snapshot
        Assert.Equal(4, report.NotCarried.Count(n => n.Op == "put_file"));                    // no snapshot: no file content

        using var catalog = DatabaseCatalog.Open(target.Path);
        Assert.Contains("Cyd", Encoding.UTF8.GetString(catalog.Get("shop").Get("users", "u3")!.Json), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ops_Quire_cannot_take_and_seqs_nedbd_skipped_keep_their_seqs_as_placeholders()
    {
        using var source = new TempDirectory("nedbd-synthetic");
        using var target = new TempDirectory("quire-migrate");
        Directory.CreateDirectory(Path.Combine(source.Path, "odd"));
        File.WriteAllLines(Path.Combine(source.Path, "odd", "log.aof"),
        [
            Record(0, "put", """{"key": "c:a", "coll": "c", "id": "a", "doc": {"v": 1, "_id": "a"}}"""),
            Record(1, "put", """{"key": "bad coll!:b", "coll": "bad coll!", "id": "b", "doc": {"v": 2, "_id": "b"}}"""),
            Record(2, "put", """{"key": "c:c", "coll": "c", "id": "c", "doc": {"v": 3, "_id": "c"}}"""),
            Record(5, "delete", """{"key": "c:a", "coll": "c", "id": "a"}"""),
            Record(6, "frobnicate", "{}"),
            Record(7, "put", """{"key": "c:d", "coll": "c", "id": "d", "doc": {"v": 4, "_id": "d"}}"""),
        ]);
        File.WriteAllText(Path.Combine(source.Path, "odd", "meta.json"), """{"indexes": [["c", "v", "ordered"], ["c", "w", "fuzzy"]]}""");

        var report = await NedbdMigration.MigrateAsync(Path.Combine(source.Path, "odd"), target.Path, "odd", [], null);
        Assert.True(report.Verified, string.Join("; ", report.Mismatches));
        Assert.Equal([(1L, "put"), (6L, "frobnicate"), (-1L, "index")], report.NotCarried.Select(n => (n.Seq, n.Op)));
        Assert.Contains("bad coll!", report.NotCarried[0].Reason, StringComparison.Ordinal);
        Assert.Equal(["c.v (ordered)"], report.Indexes);

        using var catalog = DatabaseCatalog.Open(target.Path);
        var db = catalog.Get("odd");
        Assert.Null(db.Get("c", "a"));
        Assert.Equal(2, db.Get("c", "c")!.Seq);
        Assert.Equal(7, db.Get("c", "d")!.Seq);
        Assert.Equal([0L, 2, 5, 7], db.EnumerateLog(100).Where(r => r.Seq <= 7).Select(r => r.Seq).Order());
    }

    [Fact]
    public async Task A_database_that_exists_in_the_target_is_refused_and_left_alone()
    {
        using var target = new TempDirectory("quire-migrate");
        using (var catalog = DatabaseCatalog.Open(target.Path))
        {
            await catalog.Create("shop").PutAsync("mine", "x", JsonDocument.Parse("{}").RootElement);
        }

        await Assert.ThrowsAsync<DatabaseExistsException>(() => NedbdMigration.MigrateAsync(Path.Combine(Fixture, "shop"), target.Path, "shop", [], null));
        using var again = DatabaseCatalog.Open(target.Path);
        Assert.NotNull(again.Get("shop").Get("mine", "x"));
        Assert.Equal(["shop", "vault"], NedbdMigration.Databases(Fixture));
    }

    private static string Record(long seq, string op, string payload) =>
        $$"""{"seq": {{seq}}, "client": "local", "nonce": {{seq + 1}}, "op": "{{op}}", "payload": {{payload}}, "ts": 1796679280.5, "idem": null, "prev_hash": "x", "hash": "y"}""";

    private static Dictionary<long, JsonElement> FixtureRecords(string database) =>
        File.ReadAllLines(Path.Combine(Fixture, database, "log.aof"))
            .Select(line => JsonDocument.Parse(line).RootElement)
            .ToDictionary(r => r.GetProperty("seq").GetInt64());
}
