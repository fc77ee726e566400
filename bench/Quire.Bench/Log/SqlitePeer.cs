using Microsoft.Data.Sqlite;

namespace Quire.Bench.Log;

/// <summary>SQLite in WAL mode with synchronous=FULL: a connection per writer, one transaction per commit.</summary>
public sealed class SqlitePeer : KeyValuePeer
{
    private const string Upsert = "INSERT OR REPLACE INTO kv(k, v) VALUES ($k, $v)";
    private readonly string _connectionString;
    private readonly (SqliteConnection Connection, SqliteCommand Command)?[] _writers = new (SqliteConnection, SqliteCommand)?[1024];

    public SqlitePeer(string directory)
    {
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path.Combine(directory, "bench.sqlite"),
            Pooling = false,
            DefaultTimeout = 60,
        }.ToString();
        using var connection = OpenConnection();
        Execute(connection, "PRAGMA journal_mode=WAL");
        Execute(connection, "CREATE TABLE kv (k BLOB PRIMARY KEY, v BLOB NOT NULL) WITHOUT ROWID");
    }

    public override string Name => "sqlite";

    public override bool Blocking => true;

    public override void Preload(long count)
    {
        using var connection = OpenConnection();
        BenchLoad.Sqlite(connection, count, Upsert);
    }

    public override void Put(int writer, byte[] key, byte[] value)
    {
        var (_, command) = _writers[writer] ??= CreateWriter();
        command.Parameters[0].Value = key;
        command.Parameters[1].Value = value;
        command.ExecuteNonQuery(); // autocommit: one transaction, fsynced (synchronous=FULL)
    }

    public override ValueTask CommitBatchAsync(BatchData data)
    {
        var (connection, _) = _writers[0] ??= CreateWriter();
        using var transaction = connection.BeginTransaction();
        using var command = Prepare(connection, transaction);
        for (var i = 0; i < data.Count; i++)
        {
            // Parameters take arrays: the copy is SQLite's API's cost, inside its clock.
            command.Parameters[0].Value = data.Key(i).ToArray();
            command.Parameters[1].Value = data.Value(i).ToArray();
            command.ExecuteNonQuery();
        }

        transaction.Commit();
        return ValueTask.CompletedTask;
    }

    public override void Checkpoint()
    {
        using var connection = OpenConnection();
        Execute(connection, "PRAGMA wal_checkpoint(TRUNCATE)");
    }

    public override void Dispose()
    {
        foreach (var writer in _writers)
        {
            writer?.Command.Dispose();
            writer?.Connection.Dispose();
        }
    }

    private (SqliteConnection, SqliteCommand) CreateWriter()
    {
        var connection = OpenConnection();
        return (connection, Prepare(connection, null));
    }

    private SqliteConnection OpenConnection()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        Execute(connection, "PRAGMA synchronous=FULL");
        Execute(connection, "PRAGMA cache_size=-524288"); // 512 MiB, about what Quire holds
        Execute(connection, "PRAGMA busy_timeout=60000");
        return connection;
    }

    private static SqliteCommand Prepare(SqliteConnection connection, SqliteTransaction? transaction)
    {
        var command = connection.CreateCommand();
        command.CommandText = Upsert;
        command.Transaction = transaction;
        command.Parameters.Add("$k", SqliteType.Blob);
        command.Parameters.Add("$v", SqliteType.Blob);
        command.Prepare();
        return command;
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
