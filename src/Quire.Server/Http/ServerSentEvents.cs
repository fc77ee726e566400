using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Quire.Server.Http;

/// <summary>Writing server-sent events: <c>id:</c>, <c>event:</c> and one <c>data:</c> line of JSON per event.</summary>
internal static class ServerSentEvents
{
    /// <summary>Starts an event stream: 200, <c>text/event-stream</c>, not cached; the headers are sent at once, so a client knows the stream is open before the first event.</summary>
    public static async Task StartAsync(HttpContext context)
    {
        context.Response.StatusCode = 200;
        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache";
        await context.Response.StartAsync(context.RequestAborted).ConfigureAwait(false);
        await context.Response.Body.FlushAsync(context.RequestAborted).ConfigureAwait(false);
    }

    public static ReadOnlyMemory<byte> Event(ArrayBufferWriter<byte> buffer, string? type, long? id, Action<Utf8JsonWriter> data)
    {
        buffer.ResetWrittenCount();
        Append(buffer, type, id, data);
        return buffer.WrittenMemory;
    }

    /// <summary>
    /// Ends a started stream on a failure: an <c>error</c> event naming it (its service message,
    /// or <c>internal error</c>), sent if the client still reads within a second; never throws.
    /// </summary>
    public static async Task TryWriteErrorAsync(HttpContext context, Exception failure)
    {
        var message = Service.ServiceErrors.Classify(failure)?.Message ?? "internal error";
        try
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
            deadline.CancelAfter(TimeSpan.FromSeconds(1));
            await WriteAsync(context.Response, Event(new ArrayBufferWriter<byte>(), "error", null, w => Error(w, message)), deadline.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or InvalidOperationException or ObjectDisposedException)
        {
            // The client cannot take it: the stream ends without it.
        }
    }

    /// <summary>Appends <c>id: seq\nevent: type\ndata: json\n\n</c>, the id and type when given (JSON has no raw newlines, so one data line).</summary>
    public static void Append(ArrayBufferWriter<byte> buffer, string? type, long? id, Action<Utf8JsonWriter> data)
    {
        if (id is { } seq)
        {
            buffer.Write(Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"id: {seq}\n")));
        }

        if (type is not null)
        {
            buffer.Write(Encoding.ASCII.GetBytes($"event: {type}\n"));   // without one, an EventSource's onmessage gets it
        }

        buffer.Write("data: "u8);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            data(writer);
        }

        buffer.Write("\n\n"u8);
    }

    /// <summary>Appends <c>id: seq\nevent: type\ndata: json\n\n</c> with <paramref name="json"/> as it is (JSON has no raw newlines, so one data line).</summary>
    public static void Append(ArrayBufferWriter<byte> buffer, string type, long id, ReadOnlySpan<byte> json)
    {
        Span<byte> head = stackalloc byte[64];
        var written = 0;
        "id: "u8.CopyTo(head);
        written += 4;
        id.TryFormat(head[written..], out var digits, provider: CultureInfo.InvariantCulture);
        written += digits;
        head[written++] = (byte)'\n';
        buffer.Write(head[..written]);
        buffer.Write("event: "u8);
        buffer.Write(Encoding.ASCII.GetBytes(type));
        buffer.Write("\ndata: "u8);
        buffer.Write(json);
        buffer.Write("\n\n"u8);
    }

    public static void Error(Utf8JsonWriter writer, string message)
    {
        writer.WriteStartObject();
        writer.WriteString("error", message);
        writer.WriteEndObject();
    }

    public static async Task WriteAsync(HttpResponse response, ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        await response.Body.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
        await response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
    }
}
