using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Quire.Databases;
using Quire.Query;
using Quire.Server.Service;

namespace Quire.Server.Http.Routes;

/// <summary>What route files share: reading a body within the service's limit, and the common answers.</summary>
internal static class Bodies
{
    /// <summary>The request's JSON object.</summary>
    public static Task<JsonDocument> ReadAsync(HttpContext context, QuireService service) =>
        RequestBody.ReadObjectAsync(context, service.Options.MaxRequestBytes);

    /// <summary>A query result's <c>rows</c>, <c>count</c> and <c>seq</c> members.</summary>
    public static void WriteRows(Utf8JsonWriter w, QueryResult result)
    {
        w.WriteStartArray("rows");
        foreach (var row in result.Rows)
        {
            w.WriteRawValue(row, skipInputValidation: true);
        }

        w.WriteEndArray();
        w.WriteNumber("count", result.Rows.Count);
        w.WriteNumber("seq", result.Seq);
    }

    /// <summary><c>{ok: true, seq, head}</c>, with the op's seq and the database's head.</summary>
    public static Task OkAsync(HttpContext context, Database db, long seq)
    {
        var (_, head) = db.Head;
        return JsonResponse.WriteAsync(context, 200, w =>
        {
            w.WriteStartObject();
            w.WriteBoolean("ok", true);
            w.WriteNumber("seq", seq);
            w.WriteString("head", head);
            w.WriteEndObject();
        });
    }
}
