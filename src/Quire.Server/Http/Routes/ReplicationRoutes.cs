using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Quire.Server.Replication;
using Quire.Server.Service;

namespace Quire.Server.Http.Routes;

/// <summary>
/// A primary's side of replication: GET .../replication?after_seq=N&amp;replica=ID streams the
/// database's log records after seq N, binary (<see cref="ReplicationFrames"/>), then stays
/// live, with a heartbeat each second; POST .../replication/ack <c>{replica, seq}</c> records
/// the seq a replica has durable, so the log before it may go. A replica whose next seq the
/// log no longer holds is answered 410: it needs a copy of the database first; one whose
/// seq or chain head this primary never had is answered 409 (diverged).
/// </summary>
internal sealed partial class ReplicationRoutes(QuireService service, ReplicaRegistry registry, ReplicationEpoch epoch)
{
    /// <summary>The media type of a database copy.</summary>
    public const string CopyContentType = "application/x-quire-copy";

    /// <summary>The header giving a copy's seq.</summary>
    public const string SeqHeader = "Quire-Seq";

    public async Task Stream(HttpContext context, string name)
    {
        var db = service.Get(name);
        var replica = ReplicaId(context.Request.Query["replica"].ToString());
        if (!long.TryParse(context.Request.Query["after_seq"].ToString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var after) || after < -1)
        {
            throw ServiceException.BadInput("after_seq must be a seq (>= -1)");
        }

        // A replica holding ops this primary never had (an old primary, say) must not take this
        // primary's ops on top of them: it is told, and keeps its own aside.
        var head = context.Request.Query["head"].ToString();
        if (after > db.Seq)
        {
            await JsonResponse.ErrorAsync(context, 409, $"diverged: the replica is at seq {after}, past this primary's last seq {db.Seq}").ConfigureAwait(false);
            return;
        }

        if (head.Length > 0 && after >= 0 && db.ChainHeadAt(after) is { } mine && !string.Equals(mine, head, StringComparison.OrdinalIgnoreCase))
        {
            await JsonResponse.ErrorAsync(context, 409, $"diverged: at seq {after} the replica's chain head is {head}, this primary's is {mine}").ConfigureAwait(false);
            return;
        }

        var next = after + 1;
        if (db.Seq >= next && next < db.LogStartSeq)
        {
            await JsonResponse.ErrorAsync(context, 410, $"seq {next} is no longer in the primary's log (it starts at seq {db.LogStartSeq}): the replica needs a copy of the database").ConfigureAwait(false);
            return;
        }

        var entry = registry.Connect(replica, db, next);
        if (entry.IsCut)
        {
            await JsonResponse.ErrorAsync(context, 410, "the replica fell too far behind (its log passed the primary's limit): it needs a copy of the database").ConfigureAwait(false);
            return;
        }

        Interlocked.Increment(ref entry.Streams);
        using var ended = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, entry.CutToken);
        var aborted = ended.Token;
        try
        {
            context.Response.StatusCode = 200;
            context.Response.ContentType = ReplicationFrames.ContentType;
            context.Response.Headers[ReplicationFrames.EpochHeader] = epoch.Value.ToString(CultureInfo.InvariantCulture);
            await context.Response.StartAsync(aborted).ConfigureAwait(false);
            await LogStreamer.RunAsync(db, next, context.Response.BodyWriter, seq => Interlocked.Exchange(ref entry.SentSeq, seq), aborted).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            // The replica went; it reconnects from its own seq.
        }
        finally
        {
            Interlocked.Decrement(ref entry.Streams);
            entry.LastSeen = DateTime.UtcNow;
        }
    }

    /// <summary>
    /// GET .../replication/snapshot?replica=ID: a copy of the database as of a checkpoint taken
    /// now (<see cref="Databases.DatabaseCopy"/>), streamed while writes go on, its seq in
    /// <c>Quire-Seq</c>; the log after it is held for the replica, which streams from there.
    /// Without <c>replica</c> it is a backup (<c>quire backup</c>): nothing is held after it.
    /// 204 when the database has no op yet: there is nothing to copy.
    /// </summary>
    public async Task Snapshot(HttpContext context, string name)
    {
        var db = service.Get(name);
        var replica = context.Request.Query.ContainsKey("replica") ? ReplicaId(context.Request.Query["replica"].ToString()) : null;
        var aborted = context.RequestAborted;
        using var copy = await db.OpenCopyAsync().ConfigureAwait(false);
        if (copy.Seq < 0)
        {
            context.Response.StatusCode = 204;
            return;
        }

        if (replica is not null)
        {
            registry.Restart(replica, db, copy.Seq + 1);
        }

        context.Response.StatusCode = 200;
        context.Response.ContentType = CopyContentType;
        context.Response.ContentLength = copy.Length;
        context.Response.Headers[ReplicationFrames.EpochHeader] = epoch.Value.ToString(CultureInfo.InvariantCulture);
        context.Response.Headers[SeqHeader] = copy.Seq.ToString(CultureInfo.InvariantCulture);
        try
        {
            await copy.WriteToAsync(context.Response.Body, aborted).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            // The replica went; it asks again.
        }
    }

    /// <summary>GET .../replication/head?seq=S: this primary's chain head at S (null when it cannot tell), for a diverged replica finding where it forked.</summary>
    public Task HeadAt(HttpContext context, string name)
    {
        var db = service.Get(name);
        if (!long.TryParse(context.Request.Query["seq"].ToString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var seq) || seq < 0)
        {
            throw ServiceException.BadInput("seq must be a seq (>= 0)");
        }

        var head = db.ChainHeadAt(seq);
        return JsonResponse.WriteAsync(context, 200, w =>
        {
            w.WriteStartObject();
            w.WriteNumber("seq", seq);
            if (head is null)
            {
                w.WriteNull("head");
            }
            else
            {
                w.WriteString("head", head);
            }

            w.WriteEndObject();
        });
    }

    public async Task Ack(HttpContext context, string name)
    {
        using var body = await Bodies.ReadAsync(context, service).ConfigureAwait(false);
        var root = body.RootElement;
        var replica = ReplicaId(root.TryGetProperty("replica", out var r) && r.ValueKind == System.Text.Json.JsonValueKind.String ? r.GetString() : null);
        if (!root.TryGetProperty("seq", out var s) || !s.TryGetInt64(out var seq) || seq < -1)
        {
            throw ServiceException.BadInput("seq must be a seq (>= -1)");
        }

        if (!registry.Ack(replica, service.Get(name).Name, seq))
        {
            throw ServiceException.NotFound($"replica {replica} has no stream of {name}");
        }

        await JsonResponse.WriteAsync(context, 200, w =>
        {
            w.WriteStartObject();
            w.WriteBoolean("ok", true);
            w.WriteEndObject();
        }).ConfigureAwait(false);
    }

    private static string ReplicaId(string? id) =>
        id is not null && ReplicaIdPattern().IsMatch(id) ? id : throw ServiceException.BadInput("replica must be an id of 1 to 64 letters, digits or dashes");

    [GeneratedRegex("^[A-Za-z0-9-]{1,64}$")]
    private static partial Regex ReplicaIdPattern();
}
