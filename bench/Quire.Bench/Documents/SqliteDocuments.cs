using Microsoft.Data.Sqlite;

namespace Quire.Bench.Documents;

/// <summary>
/// SQLite's side (WAL, synchronous=FULL): a table per concern (documents with an index on
/// the sorted field, tag rows, link rows, an FTS5 table), one transaction per
/// contribution, a connection per writer.
/// </summary>
public sealed class SqliteDocuments : IDisposable
{
    private readonly string _connectionString;
    private readonly SqliteConnection?[] _writers = new SqliteConnection?[256];

    public SqliteDocuments(string directory)
    {
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path.Combine(directory, "documents.sqlite"),
            Pooling = false,
            DefaultTimeout = 60,
        }.ToString();
        using var connection = Open();
        Execute(connection, "PRAGMA journal_mode=WAL");
        Execute(connection, "CREATE TABLE docs (id TEXT PRIMARY KEY, json TEXT NOT NULL, score REAL) WITHOUT ROWID");
        Execute(connection, "CREATE INDEX docs_score ON docs(score)");
        Execute(connection, "CREATE TABLE tags (tag TEXT, doc TEXT, PRIMARY KEY (tag, doc)) WITHOUT ROWID");
        Execute(connection, "CREATE TABLE links (frm TEXT, rel TEXT, dst TEXT, PRIMARY KEY (frm, rel, dst)) WITHOUT ROWID");
        Execute(connection, "CREATE VIRTUAL TABLE search USING fts5(doc UNINDEXED, text)");
        Execute(connection, "CREATE TABLE blocks (id TEXT PRIMARY KEY, json TEXT NOT NULL, height INTEGER, miner TEXT) WITHOUT ROWID");
        Execute(connection, "CREATE INDEX blocks_height ON blocks(height)");
        Execute(connection, "CREATE INDEX blocks_miner ON blocks(miner)");
    }

    public void Contribution(int writer, Contribution c)
    {
        var connection = _writers[writer] ??= Open();
        using var transaction = connection.BeginTransaction();
        Run(connection, transaction, "INSERT OR REPLACE INTO docs(id, json, score) VALUES ($1, $2, $3)", c.Id, c.Json, c.Score);
        foreach (var tag in c.Tags)
        {
            Run(connection, transaction, "INSERT OR REPLACE INTO tags(tag, doc) VALUES ($1, $2)", tag, c.Id);
        }

        foreach (var target in c.LinkTargets)
        {
            Run(connection, transaction, "INSERT OR REPLACE INTO links(frm, rel, dst) VALUES ($1, $2, $3)", $"contrib:{c.Id}", "cites", $"contrib:{target}");
        }

        Run(connection, transaction, "INSERT INTO search(doc, text) VALUES ($1, $2)", c.Id, c.Text);
        transaction.Commit();
    }

    public void BulkBlocks(IReadOnlyList<Block> blocks, int batchSize)
    {
        var connection = _writers[0] ??= Open();
        for (var i = 0; i < blocks.Count; i += batchSize)
        {
            using var transaction = connection.BeginTransaction();
            using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = "INSERT OR REPLACE INTO blocks(id, json, height, miner) VALUES ($1, $2, $3, $4)";
            var parameters = new[] { command.Parameters.Add("$1", SqliteType.Text), command.Parameters.Add("$2", SqliteType.Text), command.Parameters.Add("$3", SqliteType.Integer), command.Parameters.Add("$4", SqliteType.Text) };
            command.Prepare();
            for (var j = i; j < Math.Min(i + batchSize, blocks.Count); j++)
            {
                parameters[0].Value = blocks[j].Id;
                parameters[1].Value = blocks[j].Json;
                parameters[2].Value = blocks[j].Height;
                parameters[3].Value = blocks[j].Miner;
                command.ExecuteNonQuery();
            }

            transaction.Commit();
        }

        Execute(connection, "PRAGMA wal_checkpoint(TRUNCATE)");
    }

    public void Dispose()
    {
        foreach (var writer in _writers)
        {
            writer?.Dispose();
        }
    }

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        Execute(connection, "PRAGMA synchronous=FULL");
        Execute(connection, "PRAGMA cache_size=-524288");
        Execute(connection, "PRAGMA busy_timeout=60000");
        return connection;
    }

    private static void Run(SqliteConnection connection, SqliteTransaction transaction, string sql, params object[] values)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        for (var i = 0; i < values.Length; i++)
        {
            command.Parameters.AddWithValue($"${i + 1}", values[i]);
        }

        command.ExecuteNonQuery();
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
