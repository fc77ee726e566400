using Microsoft.Data.Sqlite;
using Quire.Storage.Engine;
using RocksDbSharp;

namespace Quire.Bench.Log;

/// <summary>Loads keys 0..count-1 with random values, in key order, into each system (untimed setup shared by the suites).</summary>
public static class BenchLoad
{
    /// <summary>Quire: batches of 10,000 puts, durable commits.</summary>
    public static void Quire(StorageEngine engine, long count)
    {
        var random = new Random(1);
        using var batch = new Quire.Storage.Engine.WriteBatch();
        for (long i = 0; i < count;)
        {
            batch.Clear();
            for (var n = 0; n < 10_000 && i < count; n++, i++)
            {
                batch.Put(BenchKeys.Key(i), BenchKeys.Value(random));
            }

            engine.CommitAsync(batch).AsTask().GetAwaiter().GetResult();
        }
    }

    /// <summary>RocksDB: write batches of 10,000 puts without sync.</summary>
    public static void RocksDb(RocksDb db, long count)
    {
        var random = new Random(1);
        var unsynced = new WriteOptions().SetSync(false);
        for (long i = 0; i < count;)
        {
            using var batch = new RocksDbSharp.WriteBatch();
            for (var n = 0; n < 10_000 && i < count; n++, i++)
            {
                batch.Put(BenchKeys.Key(i), BenchKeys.Value(random));
            }

            db.Write(batch, unsynced);
        }
    }

    /// <summary>SQLite: transactions of 100,000 executions of <paramref name="insert"/> (parameters $k and $v) into table kv.</summary>
    public static void Sqlite(SqliteConnection connection, long count, string insert)
    {
        var random = new Random(1);
        for (long i = 0; i < count;)
        {
            using var transaction = connection.BeginTransaction();
            using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = insert;
            command.Parameters.Add("$k", SqliteType.Blob);
            command.Parameters.Add("$v", SqliteType.Blob);
            for (var n = 0; n < 100_000 && i < count; n++, i++)
            {
                command.Parameters[0].Value = BenchKeys.Key(i);
                command.Parameters[1].Value = BenchKeys.Value(random);
                command.ExecuteNonQuery();
            }

            transaction.Commit();
        }
    }
}
