using System.Text.Json.Nodes;

namespace Quire.Cli.Import;

/// <summary>One row of an import file: its line (or item number, in a JSON array), and its document or why it is not one.</summary>
internal sealed record ImportRow(long Line, JsonObject? Document, string? Error);
