using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using Quire.Databases;
using Quire.Query;

namespace Quire.Tests.Databases;

/// <summary>The history AS OF reads is kept to its retention, by ops or by age, and what is past it is refused by name.</summary>
public class HistoryRetentionTests
{
    private static JsonElement Doc(int n) => JsonDocument.Parse($$"""{"n": {{n}}}""").RootElement;

    private static int N(Database db, string nql) =>
        JsonDocument.Parse(Assert.Single(db.Query(nql).Rows)).RootElement.GetProperty("n").GetInt32();

    [Fact]
    public async Task Retention_by_ops_moves_the_floor_and_keeps_every_seq_after_it_readable()
    {
        using var f = new DocumentsFixture(new DatabaseOptions { HistoryRetention = 40, ExpiryScanInterval = TimeSpan.FromDays(1) });
        var seqs = new List<long>();
        for (var i = 0; i < 100; i++)
        {
            seqs.Add((await f.Db.PutAsync("c", "x", Doc(i))).Seq);
        }

        Assert.Equal(0, f.Db.HistoryFloor);
        var last = f.Db.Seq;
        await f.Db.ReclaimHistoryAsync();
        var floor = f.Db.HistoryFloor!.Value;
        Assert.Equal(last - 40, floor);

        for (var i = 0; i < seqs.Count; i++)
        {
            if (seqs[i] >= floor)
            {
                Assert.Equal(i, N(f.Db, $"FROM c AS OF {seqs[i]}"));
            }
            else
            {
                var error = Assert.Throws<NqlException>(() => f.Db.Query($"FROM c AS OF {seqs[i]}"));
                Assert.Contains($"starts at seq {floor}", error.Message, StringComparison.Ordinal);
            }
        }

        // Not due again until the floor can move by an eighth of the retention.
        await f.Db.PutAsync("c", "x", Doc(100));
        await f.Db.ReclaimHistoryAsync();
        Assert.Equal(floor, f.Db.HistoryFloor);
        Assert.Equal(99, N(f.Db, $"FROM c AS OF {seqs[^1]}"));
    }

    [Fact]
    public async Task Retention_by_age_keeps_what_was_replaced_within_it()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000));
        using var f = new DocumentsFixture(new DatabaseOptions { HistoryRetentionAge = TimeSpan.FromHours(1), Clock = clock, ExpiryScanInterval = TimeSpan.FromDays(1) });
        var old = (await f.Db.PutAsync("c", "x", Doc(1))).Seq;
        clock.Advance(TimeSpan.FromMinutes(30));
        var middle = (await f.Db.PutAsync("c", "x", Doc(2))).Seq;
        clock.Advance(TimeSpan.FromMinutes(45));
        await f.Db.PutAsync("c", "x", Doc(3));

        await f.Db.ReclaimHistoryAsync();
        Assert.Equal(old, f.Db.HistoryFloor);   // the op an hour back or more that is newest: the state from then on is still asked for
        Assert.Equal(1, N(f.Db, $"FROM c AS OF {old}"));
        Assert.Equal(2, N(f.Db, $"FROM c AS OF {middle}"));

        clock.Advance(TimeSpan.FromMinutes(30));
        await f.Db.ReclaimHistoryAsync();
        Assert.Equal(middle, f.Db.HistoryFloor);
        Assert.Throws<NqlException>(() => f.Db.Query($"FROM c AS OF {old}"));
        Assert.Equal(2, N(f.Db, $"FROM c AS OF {middle}"));
    }

    [Fact]
    public async Task Without_history_as_of_is_refused_and_says_why()
    {
        using var f = new DocumentsFixture(new DatabaseOptions { KeepHistory = false });
        await f.Db.PutAsync("c", "x", Doc(1));
        Assert.Null(f.Db.HistoryFloor);
        var error = Assert.Throws<NqlException>(() => f.Db.Query("FROM c AS OF 0"));
        Assert.Contains("keeps no history", error.Message, StringComparison.Ordinal);
        using var kept = new DocumentsFixture();
        var future = Assert.Throws<NqlException>(() => kept.Db.Query("FROM c AS OF 5"));
        Assert.Contains("last seq", future.Message, StringComparison.Ordinal);
    }
}
