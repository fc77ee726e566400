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

    [Fact]
    public async Task A_replica_made_from_a_copy_taken_while_writes_go_on_follows_the_log_from_the_copys_seq_to_the_same_database()
    {
        using var primary = new DocumentsFixture(new DatabaseOptions { Storage = new StorageOptions { Durability = Durability.Sync } });
        await primary.Db.CreateIndexAsync("users", "age", IndexKind.Sorted);
        var random = new Random(8);
        async Task WriteAsync(int count)
        {
            for (var i = 0; i < count; i++)
            {
                await primary.Db.PutAsync("users", $"u{random.Next(500)}", Json($$"""{"age": {{random.Next(100)}}, "pad": "{{new string('x', random.Next(300))}}"}"""));
            }
        }

        await WriteAsync(800);
        using var replicaFixture = new DocumentsFixture(new DatabaseOptions { ReplicaOf = "http://primary:1" });
        var copied = new MemoryStream();
        long copySeq;
        using (var copy = await primary.Db.OpenCopyAsync())
        {
            copySeq = copy.Seq;
            Assert.Equal(primary.Db.Seq, copySeq);   // it checkpointed first: the copy is of now
            await WriteAsync(800);   // and checkpoints, while the copy is read
            await primary.Db.CheckpointAsync();
            await copy.WriteToAsync(copied);
            Assert.Equal(copy.Length, copied.Length);
        }

        copied.Position = 0;
        await replicaFixture.ReplaceFromCopyAsync(copied);   // replaces the replica's empty database
        var replica = replicaFixture.Db;
        Assert.Equal(copySeq, replica.Seq);
        Assert.True(replica.IsReplica);
        await CopyLogAsync(primary.Db, replica);

        await primary.Db.WhenIndexesReadyAsync();
        Assert.Equal(primary.Db.Seq, replica.Seq);
        Assert.Equal(primary.Db.Head, replica.Head);
        const string Nql = "FROM users WHERE age >= 50 ORDER BY age";
        Assert.Equal(primary.Db.Query(Nql).Rows.Select(r => r.ToArray()), replica.Query(Nql).Rows.Select(r => r.ToArray()));
        Assert.Equal(primary.Db.Scan("users").Select(d => (d.Id, d.Seq)), replica.Scan("users").Select(d => (d.Id, d.Seq)));
        Assert.True(replica.Verify().Ok);

        replicaFixture.Reopen();   // the copy is a database like any other
        Assert.Equal(primary.Db.Head, replicaFixture.Db.Head);
    }

    [Fact]
    public async Task A_damaged_copy_changes_nothing()
    {
        using var primary = new DocumentsFixture();
        await primary.Db.PutAsync("users", "a", Json("""{"n": 1}"""));
        using var replicaFixture = new DocumentsFixture(new DatabaseOptions { ReplicaOf = "http://primary:1" });
        var copied = new MemoryStream();
        using (var copy = await primary.Db.OpenCopyAsync())
        {
            await copy.WriteToAsync(copied);
        }

        var before = replicaFixture.Db;
        await Assert.ThrowsAsync<Storage.Format.CorruptDataException>(() => replicaFixture.ReplaceFromCopyAsync(new MemoryStream(copied.ToArray()[..(int)(copied.Length - 10)])));
        Assert.Empty(before.Scan("users"));   // still open, still itself
        await Assert.ThrowsAsync<Storage.Format.CorruptDataException>(() => replicaFixture.ReplaceFromCopyAsync(new MemoryStream(copied.ToArray()[..3])));   // cut inside the header
        Assert.Single(Directory.GetDirectories(replicaFixture.Path));   // nothing left aside
    }
}
