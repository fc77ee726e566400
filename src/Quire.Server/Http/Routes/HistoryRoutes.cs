using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Quire.OpLog;
using Quire.Server.Service;

namespace Quire.Server.Http.Routes;

/// <summary>The op log and its hash chain: log, verify, proof.</summary>
internal sealed class HistoryRoutes(QuireService service)
{
    /// <summary>How many ops GET .../log returns without a limit (nedbd's default).</summary>
    public const int DefaultLogLimit = 50;

    /// <summary>GET .../verify: <c>{ok, seq, head}</c>, and what broke when it does not hold.</summary>
    public Task Verify(HttpContext context, string name)
    {
        var result = service.Get(name).Verify();
        return JsonResponse.WriteAsync(context, 200, w =>
        {
            w.WriteStartObject();
            w.WriteBoolean("ok", result.Ok);
            w.WriteNumber("seq", result.Seq);
            w.WriteString("head", result.Head);
            if (result.Problem is { } problem)
            {
                w.WriteString("problem", problem);
            }

            w.WriteEndObject();
        });
    }

    /// <summary>GET .../log?limit=N: the most recent N ops (default 50; 0: all, as nedbd's), newest first, sent as they are read.</summary>
    public async Task Log(HttpContext context, string name)
    {
        var db = service.Get(name);
        var limit = DefaultLogLimit;
        if (context.Request.Query.TryGetValue("limit", out var text)
            && (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out limit)))
        {
            throw ServiceException.BadInput("limit must be a non-negative integer");
        }

        var records = QuireService.Log(db, limit == 0 ? QuireService.MaxLogLimit : limit);
        using var stop = service.LimitQuery(context.RequestAborted);
        using var response = new StreamedJson(context, service.Options.MaxResponseBytes);
        var record = new ArrayBufferWriter<byte>(1024);
        using var recordWriter = new Utf8JsonWriter(record);
        ReadOnlyMemory<byte> Encode(OpRecord op)
        {
            record.ResetWrittenCount();
            recordWriter.Reset();
            op.WriteTo(recordWriter);
            recordWriter.Flush();
            return record.WrittenMemory;
        }

        var w = response.Writer;
        w.WriteStartObject();
        w.WriteStartArray("log");
        var (_, stopped) = await response.WriteItemsAsync(records, Encode, stop).ConfigureAwait(false);
        w.WriteEndArray();
        var (seq, head) = db.Head;
        w.WriteNumber("seq", seq);
        w.WriteString("head", head);
        response.WriteTrailer(stopped);
        w.WriteEndObject();
        await response.CompleteAsync().ConfigureAwait(false);
    }

    /// <summary>POST .../proof <c>{hash}</c>: nedb's inclusion proof, which its <c>verify_proof</c> checks offline.</summary>
    public async Task Proof(HttpContext context, string name)
    {
        var db = service.Get(name);
        using var body = await Bodies.ReadAsync(context, service).ConfigureAwait(false);
        var hash = RequestFields.String(body.RootElement, "hash")?.Trim().ToLowerInvariant();
        if (hash is not { Length: 64 })
        {
            throw ServiceException.BadInput("hash (64-char hex) is required");
        }

        if (!hash.All(char.IsAsciiHexDigitLower))
        {
            throw ServiceException.BadInput("hash must be 64-char hexadecimal");
        }

        var proof = db.Proof(hash) ?? throw ServiceException.NotFound($"no op with hash={hash[..16]}…");
        var (seq, head) = db.Head;
        await JsonResponse.WriteAsync(context, 200, w =>
        {
            w.WriteStartObject();
            w.WriteString("hash", proof.Hash);
            w.WriteNumber("seq", proof.Seq);
            w.WriteString("prev_head", proof.PrevHead);
            w.WriteStartArray("subsequent");
            foreach (var next in proof.Subsequent)
            {
                w.WriteStringValue(next);
            }

            w.WriteEndArray();
            w.WriteString("head", proof.Head);
            w.WriteBoolean("verified", proof.Verify());
            w.WriteString("engine_head", head);
            w.WriteNumber("engine_seq", seq);
            w.WriteEndObject();
        }).ConfigureAwait(false);
    }
}
