using System.Text;
using Quire.Documents;
using static Quire.Tests.DocumentsFixture;

namespace Quire.Tests.Query;

/// <summary>A query's rows are read as they are taken, and its token stops the reading.</summary>
public class QueryCursorTests
{
    private static async Task<DocumentsFixture> ThousandDocumentsAsync()
    {
        var f = new DocumentsFixture();
        await f.Db.BatchAsync([.. Enumerable.Range(0, 1000).Select(i => DocumentOp.Put("c", $"d{i:D4}", Json($$"""{"n": {{i}}}""")))]);
        return f;
    }

    [Fact]
    public async Task Rows_are_read_as_they_are_taken_not_all_at_once()
    {
        using var f = await ThousandDocumentsAsync();
        using var cursor = f.Db.OpenQuery("FROM c WHERE n >= 0");
        var first = cursor.Rows.Take(3).ToList();
        Assert.Equal(3, first.Count);
        Assert.StartsWith("""{"_id":"d0000",""", Encoding.UTF8.GetString(first[0]), StringComparison.Ordinal);
        Assert.InRange(cursor.Examined, 3, 10);   // a full scan that stopped where the taker did
        Assert.Equal(f.Db.Seq, cursor.Seq);
        Assert.Throws<InvalidOperationException>(() => cursor.Rows);   // once
    }

    [Fact]
    public async Task A_cancelled_token_stops_the_reading_where_it_is()
    {
        using var f = await ThousandDocumentsAsync();
        using var cancel = new CancellationTokenSource();
        using var cursor = f.Db.OpenQuery("FROM c WHERE n >= 0", cancel.Token);
        var taken = 0;
        Assert.Throws<OperationCanceledException>(() =>
        {
            foreach (var _ in cursor.Rows)
            {
                if (++taken == 10)
                {
                    cancel.Cancel();
                }
            }
        });
        Assert.Equal(10, taken);
        Assert.Equal(11, cursor.Examined);

        // A sort reads every candidate before its first row: the token stops that too.
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.Throws<OperationCanceledException>(() => f.Db.Query("FROM c ORDER BY n DESC", cancelled.Token));
        Assert.Equal(1000, f.Db.Query("FROM c ORDER BY n DESC").Rows.Count);   // nothing held or broken by the stops
    }
}
