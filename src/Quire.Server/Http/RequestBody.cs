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

        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await context.Request.Body.ReadAsync(chunk, context.RequestAborted).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > maxBytes)
            {
                throw new HttpStatusException(413, $"request body larger than {maxBytes} bytes");
            }

            buffer.Write(chunk, 0, read);
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), new JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (JsonException)
        {
            throw new HttpStatusException(400, "invalid JSON body");
        }

        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            document.Dispose();
            throw new HttpStatusException(400, "invalid JSON body");
        }

        return document;
    }

    public static string? String(JsonElement body, string name) =>
        body.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    public static long? Integer(JsonElement body, string name, string what)
    {
        if (!body.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
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
