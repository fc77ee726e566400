using System.Text.Json;
using Quire.Keys;

namespace Quire.Query;

/// <summary>
/// A document read by the query: its stored JSON and version, parsed only when a
/// condition, an ORDER BY or a GROUP BY needs the parsed form.
/// </summary>
internal sealed class QueryRow(byte[] json, long version, byte[] idElement) : IDisposable
{
    private JsonDocument? _document;

    /// <summary>The id as encoded in keys: ordered as the ids are.</summary>
    public byte[] IdElement { get; } = idElement;

    /// <summary>The row's collection when it is not the query's (a document reached by TRAVERSE or TRACE).</summary>
    public string? Collection { get; set; }

    public string Id => new KeyReader(IdElement).String();

    public long Version { get; } = version;

    /// <summary>The document as returned: with <c>_seq</c>.</summary>
    public byte[] Json { get; } = json;

    public JsonDocument Document => _document ??= JsonDocument.Parse(Json);

    public void Dispose() => _document?.Dispose();
}
