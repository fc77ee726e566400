using Microsoft.Data.Sqlite;
using Quire.Bench.Log;

namespace Quire.Bench.Tree;

/// <summary>SQLite (WAL) with a page cache of the given bytes per connection; a connection per reader thread.</summary>
public sealed class SqliteReadPeer(string directory, long cacheBytes) : ReadPeer
{
    private readonly string _connectionString = new SqliteConnectionStringBuilder
    {
        DataSource = Path.Combine(directory, "bench.sqlite"),
        Pooling = false,
    }.ToString();

    private ThreadLocal<(SqliteConnection Connection, SqliteCommand Get, SqliteCommand Range)> _readers = new(trackAllValues: true);
    private bool _open;

    public override string Name => "sqlite";

    public override void Build(long count)
    {
        using var connection = Connect();
        Execute(connection, "PRAGMA journal_mode=WAL");
        Execute(connection, "CREATE TABLE kv (k BLOB PRIMARY KEY, v BLOB NOT NULL) WITHOUT ROWID");
        BenchLoad.Sqlite(connection, count, "INSERT INTO kv(k, v) VALUES ($k, $v)");
        Execute(connection, "PRAGMA wal_checkpoint(TRUNCATE)");
    }

    public override void Open()
    {
        _open = true;
        Reader(); // the opening thread's connection: open-ms times this
    }

    public override void Close()
    {
        foreach (var (connection, get, range) in _readers.Values)
        {
            get.Dispose();
            range.Dispose();
            connection.Dispose();
        }

        _readers.Dispose();
        _readers = new(trackAllValues: true);
        _open = false;
    }

    public override bool Get(byte[] key)
    {
        var command = Reader().Get;
        command.Parameters[0].Value = key;
        return command.ExecuteScalar() is not null;
    }

    public override int Range(byte[] from, int count)
    {
        var command = Reader().Range;
        command.Parameters[0].Value = from;
        command.Parameters[1].Value = count;
        using var reader = command.ExecuteReader();
        var read = 0;
        while (reader.Read())
        {
            _ = reader.GetFieldValue<byte[]>(1);
            read++;
        }

        return read;
    }

    private (SqliteConnection Connection, SqliteCommand Get, SqliteCommand Range) Reader()
    {
        if (!_open)
        {
            throw new InvalidOperationException("not open");
        }

        if (!_readers.IsValueCreated)
        {
            var connection = Connect();
            Execute(connection, $"PRAGMA cache_size=-{cacheBytes / 1024}");
            var get = connection.CreateCommand();
            get.CommandText = "SELECT v FROM kv WHERE k = $k";
            get.Parameters.Add("$k", SqliteType.Blob);
            var range = connection.CreateCommand();
            range.CommandText = "SELECT k, v FROM kv WHERE k >= $k ORDER BY k LIMIT $n";
            range.Parameters.Add("$k", SqliteType.Blob);
            range.Parameters.Add("$n", SqliteType.Integer);
            _readers.Value = (connection, get, range);
        }

        return _readers.Value;
    }

    private SqliteConnection Connect()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        return connection;
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
