using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Quire.OpLog;
using Quire.Server.Service;

namespace Quire.Server.Http.Routes;

/// <summary>nedb v2's replication substrate over the op log: <c>tip</c>, collection <c>tip</c>, <c>since</c>, <c>status</c>.</summary>
internal sealed class ChangeFeedRoutes(QuireService service)
{
    /// <summary>GET .../tip, and .../collections/&lt;coll&gt;/tip: <c>{[coll], tip: node|null, seq, head}</c>.</summary>
    public Task Tip(HttpContext context, string name, string? collection)
    {
        var db = service.Get(name);
        var tip = db.Tip(collection);
        var (seq, head) = db.Head;
        return JsonResponse.WriteAsync(context, 200, w =>
        {
            w.WriteStartObject();
            if (collection is not null)
            {
                w.WriteString("coll", collection);
            }

            w.WritePropertyName("tip");
            WriteNode(w, tip);
            w.WriteNumber("seq", seq);
            w.WriteString("head", head);
            w.WriteEndObject();
        });
    }

    /// <summary>
    /// GET .../since?after_seq=N&amp;limit=L: <c>{nodes, count, from_seq, to_seq, head_seq, has_more, seq, head}</c>,
    /// the ops after N (absent: from the first, seq 0 included), at most L (0 or absent: 10,000).
    /// </summary>
    public Task Since(HttpContext context, string name)
    {
        var db = service.Get(name);
        var after = QueryInteger(context, "after_seq");
        var limit = (int)Math.Min(QueryInteger(context, "limit") ?? 0, SinceBatch.MaxLimit);
        return JsonResponse.WriteAsync(context, 200, w =>
        {
            // Nodes go from the records into the response as JSON, with no objects between.
            w.WriteStartObject();
            w.WriteStartArray("nodes");
            var batch = db.SinceJson(after, limit, (_, node) => w.WriteRawValue(node, skipInputValidation: true));
            var (seq, head) = db.Head;
            w.WriteEndArray();
            w.WriteNumber("count", batch.Count);
            if (after is { } from)
            {
                w.WriteNumber("from_seq", from);
            }
            else
            {
                w.WriteNull("from_seq");
            }

            w.WriteNumber("to_seq", batch.ToSeq);
            w.WriteNumber("head_seq", batch.HeadSeq);
            w.WriteBoolean("has_more", batch.HasMore);
            w.WriteNumber("seq", seq);
            w.WriteString("head", head);
            w.WriteEndObject();
        });
    }

    /// <summary>
    /// GET .../status: <c>{ok, scan_complete: true, tip_seq, indexed_seq_min, indexed_seq_max,
    /// indexed_count}</c>, plus Quire's <c>as_of_seq_min</c> (the oldest seq <c>AS OF</c> reads; null without history).
    /// </summary>
    public Task Status(HttpContext context, string name)
    {
        var database = service.Get(name);
        var status = database.LogStatus();
        var historyFloor = database.HistoryFloor;
        return JsonResponse.WriteAsync(context, 200, w =>
        {
            w.WriteStartObject();
            w.WriteBoolean("ok", true);
            w.WriteBoolean("scan_complete", true);   // the op log is in the database: nothing to scan after a start
            w.WriteNumber("tip_seq", status.TipSeq);
            w.WriteNumber("indexed_seq_min", status.OldestSeq);
            w.WriteNumber("indexed_seq_max", status.NewestSeq);
            w.WriteNumber("indexed_count", status.Count);
            if (historyFloor is { } floor)
            {
                w.WriteNumber("as_of_seq_min", floor);
            }
            else
            {
                w.WriteNull("as_of_seq_min");
            }

            w.WriteEndObject();
        });
    }

    private static void WriteNode(Utf8JsonWriter w, OpNode? node)
    {
        if (node is null)
        {
            w.WriteNullValue();
        }
        else
        {
            node.WriteTo(w);
        }
    }

    private static long? QueryInteger(HttpContext context, string name)
    {
        if (!context.Request.Query.TryGetValue(name, out var text) || string.IsNullOrEmpty(text))
        {
            return null;
        }

        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw ServiceException.BadInput($"{name} must be a non-negative integer");
    }
}
