using System.Text.Json;
using System.Text.Unicode;
using Quire.Server.Service;

namespace Quire.Server.Http;

/// <summary>
/// Refuses a request body whose text is not Unicode: bytes that are not UTF-8, or a string
/// escaping half of a surrogate pair (<c>"\ud800"</c>). The JSON parser takes both and only
/// reading the string fails later, deep in a route; checked here, they are a 400 that names
/// the problem. Valid UTF-8 without a <c>\u</c> escape (nearly every body) costs two
/// vectorized scans.
/// </summary>
internal static class JsonText
{
    /// <exception cref="ServiceException">The body is not Unicode text (bad input).</exception>
    public static void Check(ReadOnlySpan<byte> json)
    {
        if (!Utf8.IsValid(json))
        {
            throw ServiceException.BadInput("invalid JSON body: it is not UTF-8 text");
        }

        if (json.IndexOf("\\u"u8) >= 0)
        {
            CheckEscapes(json);
        }
    }

    private static void CheckEscapes(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 64 });
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType is JsonTokenType.String or JsonTokenType.PropertyName && reader.ValueIsEscaped)
                {
                    try
                    {
                        reader.GetString();
                    }
                    catch (InvalidOperationException)
                    {
                        throw ServiceException.BadInput("invalid JSON body: a string holds half of a surrogate pair (a \\ud800-\\udfff escape without its other half)");
                    }
                }
            }
        }
        catch (JsonException)
        {
            // Not JSON: the parse that follows says so.
        }
    }
}
