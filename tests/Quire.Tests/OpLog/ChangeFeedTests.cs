using System.Text.Json;
using Quire.Databases;
using Quire.Documents;
using Quire.Indexes;
using Quire.OpLog;

namespace Quire.Tests.OpLog;

/// <summary>The change feed (nedb v2's since, tip, status) over the op log.</summary>
public class ChangeFeedTests
{
    private static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement;

    [Fact]
    public async Task The_json_feed_writes_each_node_as_the_node_objects_do()
    {
        using var f = new DocumentsFixture();
        await f.Db.PutAsync("users", "u1", Json("""{"name": "ada \"the first\" \u00e9\u2028", "n": 1.50, "tags": ["a"], "_valid_to": 7}"""));
        await f.Db.WriteAsync(DocumentOp.Put("users", "u\"2\\", Json("""{"nested": {"_caused_by": "no"}}""")) with
        {
            Provenance = new Provenance { CausedBy = [0], ValidFrom = "2024-01-01", ValidTo = "2025-01-01" },
        });
        await f.Db.BatchAsync([DocumentOp.Link("users:u1", "knows", "users:u2"), DocumentOp.Delete("users", "u1")]);
        await f.Db.PutFileAsync("a.txt", "hi"u8.ToArray());
        await f.Db.WriteAsync(DocumentOp.Put("c", "ttl", Json("{}")) with { TtlSeconds = 60 });

        var nodes = f.Db.Since(null).Nodes;
        var json = new List<(long Seq, string Node)>();
        var page = f.Db.SinceJson(null, 0, (seq, node) => json.Add((seq, System.Text.Encoding.UTF8.GetString(node))));
        Assert.Equal((nodes.Count, nodes[^1].Seq, false), (page.Count, page.ToSeq, page.HasMore));
        Assert.Equal(nodes.Select(n => n.Seq), json.Select(j => j.Seq));
        foreach (var (node, (_, text)) in nodes.Zip(json))
        {
            var buffer = new System.Buffers.ArrayBufferWriter<byte>();
            using (var writer = new Utf8JsonWriter(buffer))
            {
                node.WriteTo(writer);
            }

            var expected = JsonDocument.Parse(buffer.WrittenMemory).RootElement;
            Assert.True(JsonElement.DeepEquals(expected, JsonDocument.Parse(text).RootElement), $"{text}\nexpected {expected}");
        }

        var second = new List<long>();
        Assert.True(f.Db.SinceJson(0, 2, (seq, _) => second.Add(seq)).HasMore);
        Assert.Equal(nodes.Skip(1).Take(2).Select(n => n.Seq), second);
    }

    [Fact]
    public async Task Since_pages_through_every_op_from_seq_0_deletes_links_and_files_included_each_once()
    {
        using var f = new DocumentsFixture();
        await f.Db.PutAsync("users", "u1", Json("""{"name": "ada"}"""));                            // seq 0: the first op
        await f.Db.CreateIndexAsync("users", "name", IndexKind.Eq);                                // takes a seq, no op record
        await f.Db.WriteAsync(DocumentOp.Put("users", "u2", Json("""{"name": "bob"}""")) with
        {
            Provenance = new Provenance { CausedBy = [0], ValidFrom = "2024-01-01", ValidTo = "2025-01-01" },
        });
        await f.Db.BatchAsync([DocumentOp.Link("users:u1", "knows", "users:u2"), DocumentOp.Delete("users", "u1")]);
        await f.Db.PutFileAsync("a.txt", "hi"u8.ToArray());
        await f.Db.WhenIndexesReadyAsync();

        var all = f.Db.Since(null);
        Assert.Equal(0, all.Nodes[0].Seq);
        Assert.Equal(["put", "put", "link", "del", "put_file"], all.Nodes.Select(n => n.Op));
        Assert.False(all.HasMore);
        Assert.Equal(all.Nodes[^1].Seq, all.ToSeq);
        Assert.Equal(f.Db.Seq, all.HeadSeq);

        var bob = all.Nodes[1];
        Assert.Equal(("u2", "users", "bob"), (bob.Id, bob.Coll, bob.Data.GetProperty("name").GetString()));
        Assert.Equal([0L], bob.CausedBy.Select(c => c.GetInt64()));
        Assert.Equal(("2024-01-01", "2025-01-01"), (bob.ValidFrom, bob.ValidTo));
        Assert.Equal(all.Nodes[0].Hash, bob.Prev);
        Assert.Equal("knows", all.Nodes[2].Data.GetProperty("rel").GetString());
        Assert.Null(all.Nodes[2].Id);
        Assert.Equal(("u1", "users"), (all.Nodes[3].Id, all.Nodes[3].Coll));

        // Pages of two, each cursor the last page's to_seq: every op once, in order.
        var seen = new List<long>();
        long? cursor = null;
        while (true)
        {
            var page = f.Db.Since(cursor, limit: 2);
            seen.AddRange(page.Nodes.Select(n => n.Seq));
            Assert.Equal(page.Nodes.Count == 2 && page.ToSeq < all.ToSeq, page.HasMore);
            if (!page.HasMore)
            {
                break;
            }

            cursor = page.ToSeq;
        }

        Assert.Equal(all.Nodes.Select(n => n.Seq), seen);
        Assert.Empty(f.Db.Since(all.ToSeq).Nodes);
        Assert.Equal(all.ToSeq, f.Db.Since(all.ToSeq).ToSeq);

        Assert.Equal("put_file", f.Db.Tip()!.Op);
        Assert.Equal(("del", "u1"), (f.Db.Tip("users")!.Op, f.Db.Tip("users")!.Id));
        Assert.Null(f.Db.Tip("nobody"));
        Assert.Equal(new OpLogStatus(f.Db.Seq, 0, all.ToSeq, 5), f.Db.LogStatus());
        Assert.Throws<ArgumentOutOfRangeException>(() => f.Db.Since(null, SinceBatch.MaxLimit + 1));
    }

    [Fact]
    public async Task A_cursor_older_than_the_op_log_keeps_is_refused_never_answered_with_a_silent_gap()
    {
        using var f = new DocumentsFixture(new DatabaseOptions { OpLogRetention = 5, ExpiryScanInterval = TimeSpan.FromDays(1) });
        for (var i = 0; i < 20; i++)
        {
            await f.Db.PutAsync("c", $"d{i}", Json("{}"));
        }

        await f.Db.PruneOpLogAsync();
        var status = f.Db.LogStatus();
        Assert.Equal(5, status.Count);
        var error = Assert.Throws<HistoryGoneException>(() => f.Db.Since(3));
        Assert.Equal(status.OldestSeq, error.OldestKept);
        Assert.Contains($"the oldest op kept is seq {status.OldestSeq}", error.Message, StringComparison.Ordinal);
        Assert.Throws<HistoryGoneException>(() => f.Db.Since(null));
        Assert.Equal(5, f.Db.Since(status.OldestSeq - 1).Nodes.Count);   // exactly from the oldest kept
    }

    [Fact]
    public async Task The_status_counted_on_from_its_last_answer_equals_a_count_from_scratch_through_writes_and_pruning()
    {
        using var f = new DocumentsFixture(new DatabaseOptions { OpLogRetention = 30, ExpiryScanInterval = TimeSpan.FromDays(1) });
        Assert.Equal(0, f.Db.LogStatus().Count);
        for (var round = 0; round < 8; round++)
        {
            for (var i = 0; i < 7; i++)
            {
                await f.Db.PutAsync("c", $"d{round}-{i}", Json("{}"));
            }

            if (round % 3 == 2)
            {
                await f.Db.PruneOpLogAsync();
            }

            var incremental = f.Db.LogStatus();
            using var snapshot = f.Db.Engine.OpenSnapshot();
            Assert.Equal(Quire.OpLog.OpLogReader.Status(snapshot), incremental);
            Assert.Equal(incremental, f.Db.LogStatus());   // and again with nothing new
        }
    }

    [Fact]
    public async Task A_cursor_followed_only_by_internal_seqs_is_not_mistaken_for_pruned_history()
    {
        using var f = new DocumentsFixture(new DatabaseOptions { OpLogRetention = 6, ExpiryScanInterval = TimeSpan.FromDays(1) });
        for (var i = 0; i < 10; i++)
        {
            await f.Db.PutAsync("c", $"d{i}", Json("""{"n": 1}"""));   // seqs 0-9
        }

        await f.Db.CreateIndexAsync("c", "n", IndexKind.Sorted);          // internal seqs: the definition, the build
        await f.Db.WhenIndexesReadyAsync();
        var seenLast = 9L;
        var afterGap = (await f.Db.PutAsync("c", "e0", Json("{}"))).Seq;
        Assert.True(afterGap > seenLast + 1);
        for (var i = 1; i < 4; i++)
        {
            await f.Db.PutAsync("c", $"e{i}", Json("{}"));
        }

        Assert.True(await f.Db.PruneOpLogAsync() > 0);
        Assert.Equal(afterGap, f.Db.Since(seenLast).Nodes[0].Seq);          // nothing after seq 9 was lost
        Assert.Throws<HistoryGoneException>(() => f.Db.Since(seenLast - 1));   // seq 9 itself was
        Assert.Empty(f.Db.Since(long.MaxValue).Nodes);
    }

    [Fact]
    public async Task Changes_drain_history_then_stay_live_with_every_op_once_in_order_under_concurrent_writers()
    {
        using var f = new DocumentsFixture();
        for (var i = 0; i < 50; i++)
        {
            await f.Db.PutAsync("h", $"d{i}", Json("{}"));
        }

        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var received = new List<long>();
        var reader = Task.Run(async () =>
        {
            await foreach (var node in f.Db.ChangesAsync(afterSeq: 9, stop.Token))
            {
                received.Add(node.Seq);
                if (received.Count == 40 + 400)
                {
                    break;
                }
            }
        });

        // Four writers commit 100 ops each while the reader drains the history and goes live.
        await Task.WhenAll(Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < 100; i++)
            {
                await f.Db.PutAsync("live", $"w{w}-{i}", Json("{}"));
            }
        })));
        await reader.WaitAsync(TimeSpan.FromSeconds(30));

        var expected = f.Db.Since(9).Nodes.Select(n => n.Seq).ToList();
        Assert.Equal(440, expected.Count);
        Assert.Equal(expected, received);   // ascending, no gap, no duplicate
    }
}
