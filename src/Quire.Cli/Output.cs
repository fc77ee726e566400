using System.Text.Json;
using Spectre.Console;

namespace Quire.Cli;

/// <summary>
/// How commands print: JSON for scripts (<c>--json</c>), tables and colour for people
/// (Spectre.Console, which honours <c>NO_COLOR</c> and plain output when redirected).
/// Progress and notes go to standard error, results to standard output.
/// </summary>
internal static class Output
{
    /// <summary>Standard error, for progress and notes.</summary>
    public static readonly IAnsiConsole Error = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>A JSON value, indented for people, on one line for scripts.</summary>
    public static void Json(JsonElement value, bool compact) =>
        Console.WriteLine(compact ? value.GetRawText() : JsonSerializer.Serialize(value, Indented));

    /// <summary>Name and value rows, as a table or (for scripts) the JSON object itself.</summary>
    public static void Fields(JsonElement value, bool json)
    {
        if (json)
        {
            Json(value, compact: true);
            return;
        }

        var table = new Table().AddColumn("field").AddColumn("value").Border(TableBorder.Rounded);
        foreach (var property in value.EnumerateObject())
        {
            table.AddRow(Markup.Escape(property.Name), Markup.Escape(property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString()! : property.Value.GetRawText()));
        }

        AnsiConsole.Write(table);
    }
}
