using System.Buffers;
using Microsoft.AspNetCore.Http;
using Quire.Databases;
using Quire.Query;
using Quire.Server.Service;

namespace Quire.Server.Http.Routes;

/// <summary>
/// Live queries (nedb v2's <c>subscribe</c>): an SSE stream of a query's result, first as
/// it is, then again each time a commit changes it. After each commit a subscription reads
/// which collections the new ops touched and re-runs its query only when they include the
/// query's (any, for TRAVERSE and TRACE, which reach other collections); an unchanged
/// result is not sent. Only the latest result is held: a client that does not read for
/// <see cref="ServiceOptions.SlowClientTimeout"/> is dropped.
/// </summary>
internal sealed class SubscribeRoutes(QuireService service, Subscriptions subscriptions)
{
    /// <summary>POST .../subscribe <c>{nql}</c>: events <c>{sub_id, db, nql, rows, count, event: "initial"}</c>, then <c>{sub_id, db, nql, rows, count}</c> on each change.</summary>
    public async Task Subscribe(HttpContext context, string name)
    {
        var db = service.Get(name);
        string nql;
        using (var body = await Bodies.ReadAsync(context, service).ConfigureAwait(false))
        {
            nql = RequestFields.String(body.RootElement, "nql") is { } text && !string.IsNullOrWhiteSpace(text) ? text : throw ServiceException.BadInput("nql is required");
        }

        var query = NqlParser.Parse(nql);
        var result = QuireService.Query(db, nql);   // a bad query is a 400 before the stream starts
        var (id, ending) = subscriptions.Open(name, context.RequestAborted);
        try
        {
            await ServerSentEvents.StartAsync(context).ConfigureAwait(false);
            var buffer = new ArrayBufferWriter<byte>(4096);
            var sent = result.Rows;
            await SendAsync(context, buffer, id, name, nql, result, initial: true, service.Options.SlowClientTimeout).ConfigureAwait(false);
            var cursor = result.Seq;
            while (!ending.IsCancellationRequested)
            {
                await db.WhenChangedAsync(cursor, ending.Token).ConfigureAwait(false);
                var (touched, head) = Touched(db, cursor, query);
                if (head == cursor)
                {
                    continue;
                }

                cursor = head;
                if (!touched)
                {
                    continue;
                }

                result = QuireService.Query(db, nql);
                cursor = Math.Max(cursor, result.Seq);
                if (!Same(sent, result.Rows))
                {
                    sent = result.Rows;
                    await SendAsync(context, buffer, id, name, nql, result, initial: false, service.Options.SlowClientTimeout).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (ending.IsCancellationRequested)
        {
            // Deleted, or the client went.
        }
        catch (TimeoutException)
        {
            context.Abort();   // too slow: its connection's buffers are full, so no final event can reach it
        }
        catch (Exception ex) when (context.Response.HasStarted && !context.RequestAborted.IsCancellationRequested)
        {
            // The database failed or was dropped under the stream: say so, and end it.
            await ServerSentEvents.TryWriteErrorAsync(context, ex).ConfigureAwait(false);
        }
        finally
        {
            subscriptions.Close(id);
        }
    }

    /// <summary>DELETE .../subscribe/&lt;id&gt;: <c>{ok: true, sub_id}</c>, or 404.</summary>
    public Task Unsubscribe(HttpContext context, string name, string id)
    {
        service.Get(name);
        return subscriptions.End(name, id)
            ? JsonResponse.WriteAsync(context, 200, w =>
            {
                w.WriteStartObject();
                w.WriteBoolean("ok", true);
                w.WriteString("sub_id", id);
                w.WriteEndObject();
            })
            : throw ServiceException.NotFound($"no subscription {id}");
    }

    /// <summary>Whether the ops after <paramref name="cursor"/> touched the query's collections, and the seq read up to.</summary>
    private static (bool Touched, long Head) Touched(Database db, long cursor, NqlQuery query)
    {
        var anyCollection = query.Traverse is not null || query.Trace is not null;
        var touched = false;
        while (true)
        {
            Quire.OpLog.SinceBatch page;
            try
            {
                page = db.Since(cursor < 0 ? null : cursor);
            }
            catch (Quire.OpLog.HistoryGoneException)
            {
                return (true, db.Seq);   // fell behind the op log's retention: re-run to be sure
            }

            touched |= page.Nodes.Any(n => n.Coll is null ? n.Op == "link" && anyCollection : anyCollection || n.Coll == query.Collection);
            var head = Math.Max(page.HeadSeq, cursor);
            if (!page.HasMore || touched)
            {
                return (touched, head);
            }

            cursor = page.ToSeq;
        }
    }

    private static bool Same(IReadOnlyList<byte[]> a, IReadOnlyList<byte[]> b) =>
        a.Count == b.Count && a.Zip(b).All(p => p.First.AsSpan().SequenceEqual(p.Second));

    private static async Task SendAsync(HttpContext context, ArrayBufferWriter<byte> buffer, string id, string db, string nql, QueryResult result, bool initial, TimeSpan slowClientTimeout)
    {
        var bytes = ServerSentEvents.Event(buffer, null, null, w =>
        {
            w.WriteStartObject();
            w.WriteString("sub_id", id);
            w.WriteString("db", db);
            w.WriteString("nql", nql);
            Bodies.WriteRows(w, result);
            if (initial)
            {
                w.WriteString("event", "initial");
            }

            w.WriteEndObject();
        });
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        deadline.CancelAfter(slowClientTimeout);
        try
        {
            await ServerSentEvents.WriteAsync(context.Response, bytes, deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!context.RequestAborted.IsCancellationRequested)
        {
            throw new TimeoutException("the subscriber did not read its events");
        }
    }
}
