using Quire.Databases;
using Quire.Documents;
using Quire.Indexes;
using Quire.Storage.Engine;
using static Quire.Tests.DocumentsFixture;

namespace Quire.Tests.Replication;

/// <summary>A replica database applying its primary's log: the same documents, indexes, seqs and head, and no writes of its own.</summary>
public class ReplicaDatabaseTests
{
    private static async Task CopyLogAsync(Database primary, Database replica)
    {
        var from = replica.Seq + 1;
        foreach (var record in primary.ReadLogRecords(from).Where(r => r.LastSeq >= from))
        {
            await replica.ApplyReplicatedAsync(new Storage.Log.LogRecord(record.FirstSeq, record.OpCount, record.Payload.ToArray()));
        }
    }

    [Fact]
    public async Task A_replica_has_every_document_index_seq_and_the_head_and_answers_queries_alike()
    {
        using var primary = new DocumentsFixture(new DatabaseOptions { Storage = new StorageOptions { Durability = Durability.Sync } });   // a replica reads durable records only
        using var hold = primary.Db.HoldLog(0);
        using var replicaFixture = new DocumentsFixture(new DatabaseOptions { ReplicaOf = "http://primary:1", Storage = new StorageOptions { Durability = Durability.Batch } });
        var replica = replicaFixture.Db;
        Assert.Equal(-1, replica.Seq);

        await primary.Db.CreateIndexAsync("users", "age", IndexKind.Sorted);
        var random = new Random(3);
        for (var i = 0; i < 300; i++)
        {
            var id = $"u{random.Next(60)}";
            if (random.Next(6) == 0)
            {
                await primary.Db.DeleteAsync("users", id);
            }
            else
            {
                await primary.Db.BatchAsync([DocumentOp.Put("users", id, Json($$"""{"age": {{random.Next(100)}}, "n": {{i}}}""")), DocumentOp.Link($"users:{id}", "knows", "users:u1")]);
            }

            if (i == 150)
            {
                await CopyLogAsync(primary.Db, replica);   // part way, then the rest
                await primary.Db.CheckpointAsync();
            }
        }

        await primary.Db.WhenIndexesReadyAsync();
        await CopyLogAsync(primary.Db, replica);
        Assert.Equal(primary.Db.Seq, replica.Seq);
        Assert.Equal(primary.Db.Head, replica.Head);
        const string Nql = "FROM users WHERE age >= 30 ORDER BY age";
        Assert.Equal(primary.Db.Query(Nql).Rows.Select(r => r.ToArray()), replica.Query(Nql).Rows.Select(r => r.ToArray()));
        Assert.Contains("age", replica.Explain(Nql).ToString(), StringComparison.Ordinal);
        Assert.Equal(primary.Db.Scan("users").Select(d => (d.Id, d.Seq)), replica.Scan("users").Select(d => (d.Id, d.Seq)));
        Assert.Equal(primary.Db.Since(-1).Nodes.Select(n => n.Hash), replica.Since(-1).Nodes.Select(n => n.Hash));
        Assert.True(replica.Verify().Ok);

        var refused = await Assert.ThrowsAsync<ReadOnlyEngineException>(() => replica.PutAsync("users", "x", Json("{}")));
        Assert.Equal("read-only replica of http://primary:1", refused.Message);

        replicaFixture.Reopen();   // a restarted replica resumes from its own seq
        Assert.Equal(primary.Db.Seq, replicaFixture.Db.Seq);
        await primary.Db.PutAsync("users", "late", Json("""{"age": 1}"""));
        await CopyLogAsync(primary.Db, replicaFixture.Db);
        Assert.Equal(primary.Db.Head, replicaFixture.Db.Head);
    }
}
