namespace Quire.Cli;

/// <summary>Writing values into NQL text.</summary>
internal static class Nql
{
    /// <summary>A string literal: double-quoted, with quotes and backslashes escaped.</summary>
    public static string Quote(string value) => $"\"{value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)}\"";
}
