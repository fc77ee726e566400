using System.Buffers;
using System.IO.Pipelines;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Quire.Server.Service;

namespace Quire.Server.Http;

/// <summary>
/// Reads a request's JSON body: at most the configured size (else 413), a JSON object (else
/// 400 <c>invalid JSON body</c>); an empty body reads as <c>{}</c>, as nedbd's. A body sent as
/// <c>application/msgpack</c> is read as the JSON it stands for (<see cref="MessagePackJson"/>).
/// Text that is not Unicode is a 400 too (<see cref="JsonText"/>).
/// </summary>
internal static class RequestBody
{
    public static async Task<JsonDocument> ReadObjectAsync(HttpContext context, long maxBytes)
    {
        if (context.Request.ContentLength > maxBytes)
        {
            throw new ServiceException(ServiceErrorKind.TooLarge, $"request body larger than {maxBytes} bytes");
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
                throw new ServiceException(ServiceErrorKind.TooLarge, $"request body larger than {maxBytes} bytes");
            }

            if (read.IsCompleted)
            {
                break;
            }

            reader.AdvanceTo(read.Buffer.Start, read.Buffer.End);
        }

        try
        {
            var json = MessagePackJson.IsMessagePack(context.Request.ContentType) ? MessagePackJson.ToJson(read.Buffer) : read.Buffer.ToArray();
            return ParseObject(json);
        }
        finally
        {
            reader.AdvanceTo(read.Buffer.End);
        }
    }

    /// <summary>A request body's JSON object (an empty body is <c>{}</c>).</summary>
    /// <exception cref="ServiceException">Not UTF-8, not JSON, or not an object (bad input).</exception>
    public static JsonDocument ParseObject(byte[] json)
    {
        if (json.Length == 0)
        {
            return JsonDocument.Parse("{}"u8.ToArray());
        }

        JsonText.Check(json);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 64, AllowDuplicateProperties = false });
        }
        catch (JsonException)
        {
            // Which of two values counts is anyone's guess (a document, a filter, an op's fields): refused.
            throw ServiceException.BadInput(IsJsonWithDuplicates(json) ? "invalid JSON body: an object holds the same property twice" : "invalid JSON body");
        }

        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            document.Dispose();
            throw ServiceException.BadInput("invalid JSON body");
        }

        return document;
    }

    /// <summary>Whether the text is JSON once duplicate properties are allowed (only asked after it failed).</summary>
    private static bool IsJsonWithDuplicates(byte[] json)
    {
        try
        {
            using var _ = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 64 });
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
