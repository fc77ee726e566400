using System.Diagnostics;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Quire.Bench.Documents;
using Quire.Bench.Harness;
using Quire.Databases;
using Quire.Documents;
using Quire.Indexes;
using Quire.Storage.Engine;

namespace Quire.Bench.Query;

/// <summary>
/// Suite <c>query</c>: block documents (1,000,000; 100,000 with --quick) with a sorted
/// index on height, an eq index on miner and a search index on a 5-word note, queried by
/// Quire (NQL text parsed each time) and SQLite (prepared statements; FTS5 for search):
/// the indexed top 10, a 100-height range, 100 of one miner, a two-word search, and a
/// full scan with a filter no index serves. Latencies are medians over many queries.
/// </summary>
public static class QuerySuite
{
    /// <summary>
    /// The cache each system gets (Quire's memory budget, SQLite's page cache): room for
    /// either's data at 1,000,000 documents. Quire's is about 2 GB of pages, as its op
    /// log keeps every document's write (retention 1,000,000 ops) besides the documents
    /// and indexes; SQLite's file is smaller.
    /// </summary>
    private const long CacheBytes = 3L * 1024 * 1024 * 1024;

    public static void Run(BenchRun run)
    {
        var (report, quick) = (run.Report, run.Quick);
        var count = quick ? 100_000 : 1_000_000;
        var queries = quick ? 300 : 2000;
        var random = new Random(7);
        Console.WriteLine($"  (generating {count:N0} block documents)");
        var vocabulary = Enumerable.Range(0, 1000).Select(i => $"w{i:x}").ToArray();
        var blocks = Enumerable.Range(0, count).Select(h => WithNote(Block.Create(random, h), random, vocabulary)).ToList();

        using var quireDir = new BenchDirectory("quire");
        using var catalog = DatabaseCatalog.Open(quireDir.Path, new DatabaseOptions { Storage = new StorageOptions { MemoryBudget = CacheBytes } });
        var gcMax = TimeSpan.Zero;
        if (run.Includes("quire"))
        {
            Console.WriteLine("  (loading quire)");
            var db = Load(catalog, blocks).GetAwaiter().GetResult();
            run.Gc.Reset();
            var q = new Random(11);
            report.Add(new BenchResult("quire", "top10-desc", Micros(queries, () => Expect(db.Query("FROM blocks ORDER BY height DESC LIMIT 10").Rows.Count, 10)), "µs"));
            report.Add(new BenchResult("quire", "range100", Micros(queries, () =>
            {
                var x = q.Next(count - 100);
                Expect(db.Query($"FROM blocks WHERE height >= {x} AND height < {x + 100}").Rows.Count, 100);
            }), "µs"));
            report.Add(new BenchResult("quire", "eq-limit100", Micros(queries, () => Expect(db.Query($"FROM blocks WHERE miner = \"m{q.Next(50)}\" LIMIT 100").Rows.Count, 100)), "µs"));
            var pagesBefore = db.Stats.PagesRead;
            report.Add(new BenchResult("quire", "search", Micros(queries, () =>
                db.Query($"FROM blocks SEARCH \"{vocabulary[q.Next(1000)]} {vocabulary[q.Next(1000)]}\"")), "µs"));
            Console.WriteLine($"  (quire read {db.Stats.PagesRead - pagesBefore:N0} pages from its file during search)");
            report.Add(new BenchResult("quire", "scan", count / (Micros(3, () => db.Query("FROM blocks WHERE size > 2000000"), warmUpRuns: 1) / 1e6), "docs/s"));
            gcMax = run.Gc.MaxPause;
            report.Add(new BenchResult("quire", "gc-pause-max", gcMax.TotalMilliseconds, "ms"));
        }

        if (run.Includes("sqlite"))
        {
            using var sqliteDir = new BenchDirectory("sqlite");
            Console.WriteLine("  (loading sqlite)");
            using var connection = LoadSqlite(sqliteDir.Path, blocks);
            var q = new Random(11);
            using var top = Prepare(connection, "SELECT json FROM blocks ORDER BY height DESC LIMIT 10");
            using var range = Prepare(connection, "SELECT json FROM blocks WHERE height >= $a AND height < $b", "$a", "$b");
            using var eq = Prepare(connection, "SELECT json FROM blocks WHERE miner = $a LIMIT 100", "$a");
            using var search = Prepare(connection, "SELECT b.json FROM notes JOIN blocks b ON b.id = notes.id WHERE notes MATCH $a", "$a");
            report.Add(new BenchResult("sqlite", "top10-desc", Micros(queries, () => Expect(Rows(top), 10)), "µs"));
            report.Add(new BenchResult("sqlite", "range100", Micros(queries, () =>
            {
                var x = q.Next(count - 100);
                range.Parameters[0].Value = x;
                range.Parameters[1].Value = x + 100;
                Expect(Rows(range), 100);
            }), "µs"));
            report.Add(new BenchResult("sqlite", "eq-limit100", Micros(queries, () =>
            {
                eq.Parameters[0].Value = $"m{q.Next(50)}";
                Expect(Rows(eq), 100);
            }), "µs"));
            report.Add(new BenchResult("sqlite", "search", Micros(queries, () =>
            {
                search.Parameters[0].Value = $"{vocabulary[q.Next(1000)]} {vocabulary[q.Next(1000)]}";
                Rows(search);
            }), "µs"));
        }

        Console.WriteLine();
        // Latencies: lower is better, so the ratios are SQLite's over Quire's (goal: Quire at most 0.8x SQLite's time, no slower on the rest).
        report.Ratio("sqlite top10-desc / quire top10-desc", ("sqlite", "top10-desc"), ("quire", "top10-desc"), 1.25);
        report.Ratio("sqlite range100 / quire range100", ("sqlite", "range100"), ("quire", "range100"), 1);
        report.Ratio("sqlite eq-limit100 / quire eq-limit100", ("sqlite", "eq-limit100"), ("quire", "eq-limit100"), 1);
        report.Ratio("sqlite search / quire search", ("sqlite", "search"), ("quire", "search"), 1);
    }

    private static Block WithNote(Block block, Random random, string[] vocabulary)
    {
        var note = string.Join(' ', Enumerable.Range(0, 5).Select(_ => vocabulary[random.Next(vocabulary.Length)]));
        return block with { Json = block.Json[..^1] + $",\"note\":\"{note}\"}}" };
    }

    private static async Task<Database> Load(DatabaseCatalog catalog, List<Block> blocks)
    {
        var db = catalog.Create("blocks");
        await db.CreateIndexAsync("blocks", "height", IndexKind.Sorted);
        await db.CreateIndexAsync("blocks", "miner", IndexKind.Eq);
        await db.CreateIndexAsync("blocks", "note", IndexKind.Search);
        await db.WhenIndexesReadyAsync();
        for (var i = 0; i < blocks.Count; i += 1000)
        {
            var documents = blocks.Skip(i).Take(1000).Select(b => (b, JsonDocument.Parse(b.Json))).ToList();
            await db.BatchAsync(documents.Select(d => DocumentOp.Put("blocks", d.b.Id, d.Item2.RootElement)).ToList());
            documents.ForEach(d => d.Item2.Dispose());
        }

        await db.CheckpointAsync();
        return db;
    }

    private static SqliteConnection LoadSqlite(string directory, List<Block> blocks)
    {
        var connection = new SqliteConnection($"Data Source={Path.Combine(directory, "blocks.sqlite")};Pooling=False");
        connection.Open();
        Execute(connection, "PRAGMA journal_mode=WAL");
        Execute(connection, "PRAGMA synchronous=FULL");
        Execute(connection, $"PRAGMA cache_size=-{CacheBytes / 1024}");
        Execute(connection, "CREATE TABLE blocks (id TEXT PRIMARY KEY, json TEXT NOT NULL, height INTEGER, miner TEXT, size INTEGER) WITHOUT ROWID");
        Execute(connection, "CREATE VIRTUAL TABLE notes USING fts5(id UNINDEXED, note)");
        foreach (var chunk in blocks.OrderBy(b => b.Id, StringComparer.Ordinal).Chunk(10_000))
        {
            using var transaction = connection.BeginTransaction();
            using var insert = connection.CreateCommand();
            insert.Transaction = transaction;
            insert.CommandText = "INSERT INTO blocks VALUES ($1, $2, $3, $4, $5); INSERT INTO notes VALUES ($1, $6)";
            var p = Enumerable.Range(1, 6).Select(i => insert.Parameters.Add($"${i}", i is 3 or 5 ? SqliteType.Integer : SqliteType.Text)).ToArray();
            foreach (var b in chunk)
            {
                using var doc = JsonDocument.Parse(b.Json);
                p[0].Value = b.Id;
                p[1].Value = b.Json;
                p[2].Value = b.Height;
                p[3].Value = b.Miner;
                p[4].Value = doc.RootElement.GetProperty("size").GetInt64();
                p[5].Value = doc.RootElement.GetProperty("note").GetString();
                insert.ExecuteNonQuery();
            }

            transaction.Commit();
        }

        Execute(connection, "CREATE INDEX blocks_height ON blocks(height)");
        Execute(connection, "CREATE INDEX blocks_miner ON blocks(miner)");
        Execute(connection, "PRAGMA wal_checkpoint(TRUNCATE)");
        return connection;
    }

    private static SqliteCommand Prepare(SqliteConnection connection, string sql, params string[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var name in parameters)
        {
            command.Parameters.Add(name, SqliteType.Text);
        }

        return command;
    }

    private static int Rows(SqliteCommand command)
    {
        using var reader = command.ExecuteReader();
        var n = 0;
        while (reader.Read())
        {
            _ = reader.GetString(0);
            n++;
        }

        return n;
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static void Expect(int actual, int expected)
    {
        if (actual != expected)
        {
            throw new InvalidOperationException($"a query returned {actual} rows, {expected} expected");
        }
    }

    /// <summary>
    /// The median latency of <paramref name="queries"/> runs in microseconds, after a
    /// warm-up of at least <paramref name="warmUpRuns"/> runs and one second, so that
    /// .NET's tiered JIT has compiled the query path fully (a server's steady state)
    /// before timing starts.
    /// </summary>
    private static double Micros(int queries, Action query, int warmUpRuns = 100)
    {
        var warmUp = Stopwatch.StartNew();
        for (var i = 0; i < warmUpRuns || warmUp.Elapsed < TimeSpan.FromSeconds(1); i++)
        {
            query();
        }

        var samples = new List<double>(queries);
        for (var i = 0; i < queries; i++)
        {
            var started = Stopwatch.GetTimestamp();
            query();
            samples.Add(Stopwatch.GetElapsedTime(started).TotalMicroseconds);
        }

        return Median.Of(samples);
    }
}
