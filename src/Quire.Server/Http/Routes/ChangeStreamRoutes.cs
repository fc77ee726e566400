using System.Buffers;
using System.Globalization;
using Microsoft.AspNetCore.Http;
using Quire.OpLog;
using Quire.Server.Service;

namespace Quire.Server.Http.Routes;

/// <summary>
/// GET .../changes?after_seq=N: the change feed as one long-lived server-sent-event stream.
/// It drains the op log after the cursor a page at a time (one flush a page), then stays
/// live; each op is an event with <c>id:</c> its seq, so a reconnecting EventSource resumes
/// with <c>Last-Event-ID</c> with no gap and no duplicate. A cursor older than the op log
/// keeps ends the stream with an <c>error</c> event.
/// </summary>
internal sealed class ChangeStreamRoutes(QuireService service)
{
    /// <summary>How long an idle stream waits before it sends a comment, so proxies keep it open.</summary>
    private static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(15);

    public async Task Changes(HttpContext context, string name)
    {
        var db = service.Get(name);
        long? cursor = Cursor(context);
        var response = context.Response;
        await ServerSentEvents.StartAsync(context).ConfigureAwait(false);

        var buffer = new ArrayBufferWriter<byte>(4096);
        var idle = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            while (!context.RequestAborted.IsCancellationRequested)
            {
                SincePage page;
                buffer.ResetWrittenCount();
                try
                {
                    // Each op's node goes from its record into the event, with no objects between.
                    page = db.SinceJson(cursor, 0, (seq, node) => ServerSentEvents.Append(buffer, "op", seq, node));
                }
                catch (HistoryGoneException ex)
                {
                    buffer.ResetWrittenCount();
                    await ServerSentEvents.WriteAsync(response, ServerSentEvents.Event(buffer, "error", null, w => ServerSentEvents.Error(w, ex.Message)), context.RequestAborted).ConfigureAwait(false);
                    return;
                }

                if (page.Count > 0)
                {
                    await ServerSentEvents.WriteAsync(response, buffer.WrittenMemory, context.RequestAborted).ConfigureAwait(false);
                    cursor = page.ToSeq;
                    idle.Restart();
                }
                else if (idle.Elapsed >= KeepAlive)
                {
                    await ServerSentEvents.WriteAsync(response, ": keep-alive\n\n"u8.ToArray(), context.RequestAborted).ConfigureAwait(false);
                    idle.Restart();
                }

                if (!page.HasMore)
                {
                    await db.WhenChangedAsync(page.HeadSeq, context.RequestAborted).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went: the stream ends with it.
        }
        catch (Exception ex) when (!context.RequestAborted.IsCancellationRequested)
        {
            // The database failed or was dropped under the stream: say so, and end it.
            await ServerSentEvents.TryWriteErrorAsync(context, ex).ConfigureAwait(false);
        }
    }

    /// <summary>The cursor: <c>Last-Event-ID</c> (a reconnecting EventSource) before <c>after_seq</c>; neither means from the first op.</summary>
    private static long? Cursor(HttpContext context)
    {
        var text = context.Request.Headers["Last-Event-ID"].ToString();
        var name = "Last-Event-ID";
        if (text.Length == 0 && context.Request.Query.TryGetValue("after_seq", out var query))
        {
            (text, name) = (query.ToString(), "after_seq");
        }

        if (text.Length == 0)
        {
            return null;
        }

        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var seq)
            ? seq
            : throw ServiceException.BadInput($"{name} must be a non-negative integer");
    }
}
