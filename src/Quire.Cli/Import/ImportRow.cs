using System.Text.Json;

namespace Quire.Cli.Import;

/// <summary>
/// One row of an import file: its line (or item number, in a JSON array), and its document or
/// why it is not one. The document is valid until the next row is read.
/// </summary>
internal sealed record ImportRow(long Line, JsonElement? Document, string? Error);
