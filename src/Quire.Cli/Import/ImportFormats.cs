using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Quire.Cli.Import;

/// <summary>
/// The files <c>quire import</c> reads, row by row without holding the file: JSON Lines (one
/// object per line; blank lines skipped), a JSON array of objects, or CSV (a header row of
/// field names; RFC 4180 quoting on one line; integers, decimals, <c>true</c> and
/// <c>false</c> typed, empty fields left out).
/// </summary>
internal static partial class ImportFormats
{
    public static readonly string[] Names = ["jsonl", "json", "csv"];

    /// <summary>The format named, or the file's by its extension (.csv, .json; anything else JSON Lines).</summary>
    public static string Of(string path, string? given) => given ?? System.IO.Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".csv" => "csv",
        ".json" => "json",
        _ => "jsonl",
    };

    public static IEnumerable<ImportRow> Read(Stream stream, string format) => format switch
    {
        "json" => JsonArray(stream),
        "csv" => Csv(stream),
        _ => JsonLines(stream),
    };

    /// <summary>JSON Lines, split and parsed as bytes (no strings per line: the loader's hot path).</summary>
    private static IEnumerable<ImportRow> JsonLines(Stream stream)
    {
        var line = 0L;
        foreach (var text in LineSplitter.Lines(stream))
        {
            line++;
            if (text.Span.Trim(" \t\r"u8).IsEmpty)
            {
                continue;
            }

            var (document, error) = Parse(text);
            if (document is null)
            {
                yield return new ImportRow(line, null, error);
                continue;
            }

            using (document)
            {
                yield return document.RootElement.ValueKind == JsonValueKind.Object
                    ? new ImportRow(line, document.RootElement, null)
                    : new ImportRow(line, null, "not a JSON object");
            }
        }
    }

    private static (JsonDocument? Document, string? Error) Parse(ReadOnlyMemory<byte> text)
    {
        try
        {
            return (JsonDocument.Parse(text), null);
        }
        catch (JsonException ex)
        {
            return (null, $"not JSON: {ex.Message}");
        }
    }

    private static IEnumerable<ImportRow> JsonArray(Stream stream)
    {
        var item = 0L;
        foreach (var element in JsonSerializer.DeserializeAsyncEnumerable<JsonElement>(stream).ToBlockingEnumerable())
        {
            item++;
            yield return element.ValueKind == JsonValueKind.Object ? new ImportRow(item, element, null) : new ImportRow(item, null, "not a JSON object");
        }
    }

    private static IEnumerable<ImportRow> Csv(Stream stream)
    {
        using var reader = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: true, bufferSize: 1 << 16, leaveOpen: true);
        if (reader.ReadLine() is not { } headerLine)
        {
            yield break;
        }

        var header = Fields(headerLine);
        if (header is null || header.Count == 0 || header.Any(string.IsNullOrEmpty))
        {
            yield return new ImportRow(1, null, "the header row is not a list of field names");
            yield break;
        }

        var line = 1L;
        while (reader.ReadLine() is { } text)
        {
            line++;
            if (text.Length == 0)
            {
                continue;
            }

            var fields = Fields(text);
            if (fields is null)
            {
                yield return new ImportRow(line, null, "a quoted field is not closed (fields may not hold line breaks)");
                continue;
            }

            if (fields.Count != header.Count)
            {
                yield return new ImportRow(line, null, $"{fields.Count} fields, the header has {header.Count}");
                continue;
            }

            var document = new JsonObject();
            for (var i = 0; i < header.Count; i++)
            {
                if (Typed(fields[i]) is { } value)
                {
                    document[header[i]] = value;
                }
            }

            yield return new ImportRow(line, JsonSerializer.SerializeToElement(document), null);
        }
    }

    /// <summary>A CSV line's fields; null when a quoted field is not closed.</summary>
    private static List<string>? Fields(string line)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        var (quoted, i) = (false, 0);
        while (i < line.Length)
        {
            var c = line[i++];
            if (quoted)
            {
                if (c != '"')
                {
                    field.Append(c);
                }
                else if (i < line.Length && line[i] == '"')
                {
                    field.Append('"');
                    i++;
                }
                else
                {
                    quoted = false;
                }
            }
            else if (c == '"' && field.Length == 0)
            {
                quoted = true;
            }
            else if (c == ',')
            {
                fields.Add(field.ToString());
                field.Clear();
            }
            else
            {
                field.Append(c);
            }
        }

        fields.Add(field.ToString());
        return quoted ? null : fields;
    }

    /// <summary>
    /// A field's value: a number when it is written as JSON writes one (kept digit for digit,
    /// however long; so "007" and "1." stay text), true or false, text; null when empty.
    /// </summary>
    private static JsonValue? Typed(string text)
    {
        if (text.Length == 0)
        {
            return null;
        }

        if (JsonNumber().IsMatch(text))
        {
            using var number = JsonDocument.Parse(text);
            return JsonValue.Create(number.RootElement.Clone());
        }

        return text switch
        {
            "true" => JsonValue.Create(true),
            "false" => JsonValue.Create(false),
            _ => JsonValue.Create(text),
        };
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$")]
    private static partial System.Text.RegularExpressions.Regex JsonNumber();
}
