using System.Buffers;
using System.IO.Pipelines;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Quire.Server.Http;

/// <summary>Reads a request's JSON body: at most the configured size (else 413), a JSON object (else 400 <c>invalid JSON body</c>).</summary>
internal static class RequestBody
{
    public static async Task<JsonDocument> ReadObjectAsync(HttpContext context, long maxBytes)
    {
        if (context.Request.ContentLength > maxBytes)
        {
            throw new HttpStatusException(413, $"request body larger than {maxBytes} bytes");
        }

        // Read the whole body from the request's pipe, then copy it once: the document keeps using
        // the memory it was parsed from, and the pipe's buffers are reused after AdvanceTo.
        var reader = context.Request.BodyReader;
        ReadResult read;
        while (true)
        {
            read = await reader.ReadAsync(context.RequestAborted).ConfigureAwait(false);
            if (read.Buffer.Length > maxBytes)
            {
                reader.AdvanceTo(read.Buffer.Start, read.Buffer.End);
                throw new HttpStatusException(413, $"request body larger than {maxBytes} bytes");
            }

            if (read.IsCompleted)
            {
                break;
            }

            reader.AdvanceTo(read.Buffer.Start, read.Buffer.End);
        }

        try
        {
            var document = JsonDocument.Parse(read.Buffer.ToArray(), new JsonDocumentOptions { MaxDepth = 64 });
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                document.Dispose();
                throw new HttpStatusException(400, "invalid JSON body");
            }

            return document;
        }
        catch (JsonException)
        {
            throw new HttpStatusException(400, "invalid JSON body");
        }
        finally
        {
            reader.AdvanceTo(read.Buffer.End);
        }
    }

    public static string? String(JsonElement body, string name) =>
        body.ValueKind == JsonValueKind.Object && body.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    public static long? Integer(JsonElement body, string name, string what)
    {
        if (body.ValueKind != JsonValueKind.Object || !body.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt64(out var number))
        {
            throw new HttpStatusException(400, $"{what}: {name} must be an integer");
        }

        return number;
    }
}
