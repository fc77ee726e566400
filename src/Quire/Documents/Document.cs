using System.Text.Json;

namespace Quire.Documents;

/// <summary>A stored document.</summary>
/// <param name="Collection">Its collection.</param>
/// <param name="Id">Its id (also its <c>_id</c> field).</param>
/// <param name="Seq">The seq of the op that last wrote it (also its <c>_seq</c> field).</param>
/// <param name="Json">The document as UTF-8 JSON, with <c>_id</c> first and <c>_seq</c> last.</param>
public sealed record Document(string Collection, string Id, long Seq, byte[] Json)
{
    /// <summary>The document parsed; dispose the result when done.</summary>
    public JsonDocument Parse() => JsonDocument.Parse(Json);
}
