using Quire.Documents;
using static Quire.Tests.DocumentsFixture;

namespace Quire.Tests.Documents;

/// <summary>A check op holds a batch to a version it read, takes no seq and writes nothing.</summary>
public class CheckOpTests
{
    [Fact]
    public async Task A_batch_with_a_standing_check_commits_and_the_check_takes_no_seq()
    {
        using var f = new DocumentsFixture();
        var read = await f.Db.PutAsync("c", "a", Json("{}"));   // seq 0
        var result = await f.Db.BatchAsync([
            DocumentOp.Check("c", "a", read.Seq),
            DocumentOp.Check("c", "never", -1),
            DocumentOp.Put("c", "b", Json("{}")),
        ]);
        Assert.Equal([OpKind.Check, OpKind.Check, OpKind.Put], result.Results.Select(r => r.Kind));
        Assert.Equal(1, result.Results[2].Seq);
        Assert.Equal(1, f.Db.Seq);
        Assert.Equal(2, f.Db.ReadLog(10).Count);   // the checks left no op in the log
    }

    [Fact]
    public async Task A_moved_document_refuses_the_batch_and_nothing_is_written()
    {
        using var f = new DocumentsFixture();
        var read = await f.Db.PutAsync("c", "a", Json("{}"));
        await f.Db.PutAsync("c", "a", Json("""{"v": 2}"""));
        var error = await Assert.ThrowsAsync<PreconditionFailedException>(() => f.Db.BatchAsync([
            DocumentOp.Put("c", "b", Json("{}")),
            DocumentOp.Check("c", "a", read.Seq),
        ]));
        Assert.Equal(1, Assert.Single(error.Failures).Index);
        Assert.Null(f.Db.Get("c", "b"));
    }

    [Fact]
    public async Task A_batch_of_checks_alone_is_decided_against_the_latest_state()
    {
        using var f = new DocumentsFixture();
        var read = await f.Db.PutAsync("c", "a", Json("{}"));
        var ok = await f.Db.BatchAsync([DocumentOp.Check("c", "a", read.Seq)]);
        Assert.Equal(read.Seq, Assert.Single(ok.Results).Seq);
        await f.Db.DeleteAsync("c", "a");
        await Assert.ThrowsAsync<PreconditionFailedException>(() => f.Db.BatchAsync([DocumentOp.Check("c", "a", read.Seq)]));
        await f.Db.BatchAsync([DocumentOp.Check("c", "a", -1)]);   // deleted counts as absent
    }

    [Fact]
    public async Task A_check_without_if_seq_is_refused_as_malformed()
    {
        using var f = new DocumentsFixture();
        await Assert.ThrowsAsync<InvalidOpException>(() => f.Db.BatchAsync([DocumentOp.Check("c", "a", 0) with { IfSeq = null }]));
    }
}
