using System.Diagnostics;
using System.Text.Json;
using Quire.Cli.Client;
using Spectre.Console;

namespace Quire.Cli.Shell;

/// <summary>
/// What the shell does with each statement: NQL goes to the current database's query route
/// (rows as a table, or JSON lines; <c>EXPLAIN</c> prints the plan), dot-commands change the
/// session. Knows the collections and the fields it has seen, for completion.
/// </summary>
internal sealed class ShellSession(ServerConnection server, string? database, bool json)
{
    private static readonly string[] Keywords =
        ["FROM", "WHERE", "AND", "ORDER", "BY", "ASC", "DESC", "LIMIT", "EXPLAIN", "AS", "OF", "VALID", "SEARCH", "TRAVERSE", "TRACE", "caused_by", "REVERSE", "GROUP", "COUNT", "SUM", "AVG", "MIN", "MAX", "true", "false", "null"];

    private static readonly string[] DotCommands = [".help", ".use", ".databases", ".collections", ".json", ".table", ".timing", ".quit"];

    private readonly HashSet<string> _collections = new(StringComparer.Ordinal);
    private readonly HashSet<string> _fields = new(StringComparer.Ordinal) { "_id", "_seq" };
    private readonly List<string> _databases = [];
    private bool _json = json;
    private bool _timing = true;

    public string? Database { get; private set; } = database;

    /// <summary>False once <c>.quit</c> was given.</summary>
    public bool Running { get; private set; } = true;

    public static string Help =>
        """
        NQL statements end with ';' (they may span lines), e.g.  FROM users WHERE age > 30 ORDER BY age DESC LIMIT 10;
        EXPLAIN FROM ...;     the plan the query would use
        .use <db>             query another database
        .databases            the databases, with their documents
        .collections          the current database's collections, with their documents
        .json / .table        print rows as JSON lines / as a table (the default)
        .timing on|off        print how long each statement took (on)
        .help                 this
        .quit                 leave (or Ctrl-D)
        Tab completes keywords, collections, fields and dot-commands; up and down go through the history.
        """;

    /// <summary>Loads the databases and the current one's collections, for completion (what cannot be read is left out).</summary>
    public async Task LoadNamesAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var list = await server.GetAsync("/v1/databases", cancellationToken).ConfigureAwait(false);
            _databases.Clear();
            foreach (var summary in list.RootElement.GetProperty("databases").EnumerateArray())
            {
                var name = summary.GetProperty("name").GetString()!;
                _databases.Add(name);
                if (name == Database && summary.TryGetProperty("collections", out var collections))
                {
                    _collections.Clear();
                    foreach (var collection in collections.EnumerateObject())
                    {
                        _collections.Add(collection.Name);
                    }
                }
            }
        }
        catch (CliError)
        {
        }
    }

    /// <summary>Candidates for the word before the cursor.</summary>
    public IReadOnlyList<string> Complete(string word) =>
        word.StartsWith('.') ? DotCommands
        : [.. Keywords, .. _collections.Order(StringComparer.Ordinal), .. _fields.Order(StringComparer.Ordinal), .. _databases];

    /// <summary>Runs one statement (NQL or a dot-command); errors are printed, never thrown.</summary>
    public async Task RunAsync(string statement, CancellationToken cancellationToken)
    {
        statement = statement.Trim().TrimEnd(';').Trim();
        if (statement.Length == 0)
        {
            return;
        }

        try
        {
            if (statement.StartsWith('.'))
            {
                await DotCommandAsync(statement, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await QueryAsync(statement, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (CliError error)
        {
            Output.Error.MarkupLine($"[red]error:[/] {Markup.Escape(error.Reason ?? error.Message)}");
        }
        catch (HttpRequestException error)
        {
            Output.Error.MarkupLine($"[red]error:[/] cannot reach the server: {Markup.Escape(error.Message)}");
        }
    }

    private async Task QueryAsync(string nql, CancellationToken cancellationToken)
    {
        if (Database is null)
        {
            throw new CliError("no database: choose one with .use <db> (.databases lists them)");
        }

        var started = Stopwatch.GetTimestamp();
        using var answer = await server.PostAsync($"/v1/databases/{Uri.EscapeDataString(Database)}/query", JsonSerializer.Serialize(new { nql }), cancellationToken).ConfigureAwait(false);
        var elapsed = Stopwatch.GetElapsedTime(started);
        var root = answer.RootElement;
        if (nql.StartsWith("EXPLAIN", StringComparison.OrdinalIgnoreCase) && root.GetProperty("rows") is { } plans && plans.GetArrayLength() == 1)
        {
            // The plan is one row of many fields: field by field reads better than one wide row.
            Output.Fields(plans[0], _json);
        }
        else
        {
            var rows = root.GetProperty("rows");
            Learn(nql, rows);
            PrintRows(rows);
            if (root.TryGetProperty("truncated", out var truncated) && truncated.GetBoolean())
            {
                Output.Error.MarkupLine($"[yellow]truncated:[/] {Markup.Escape(root.TryGetProperty("error", out var why) ? why.GetString() ?? "" : "")}");
            }
        }

        if (_timing)
        {
            var count = root.TryGetProperty("rows", out var all) ? all.GetArrayLength() : 0;
            Output.Error.MarkupLine($"[grey]({count} row{(count == 1 ? "" : "s")}, {elapsed.TotalMilliseconds:F1} ms)[/]");
        }
    }

    private void PrintRows(JsonElement rows)
    {
        if (_json)
        {
            foreach (var row in rows.EnumerateArray())
            {
                Console.WriteLine(row.GetRawText());
            }

            return;
        }

        // Columns: _id first, then every field any row has, in the order first seen.
        var columns = new List<string>();
        foreach (var row in rows.EnumerateArray().Where(r => r.ValueKind == JsonValueKind.Object))
        {
            foreach (var property in row.EnumerateObject())
            {
                if (!columns.Contains(property.Name))
                {
                    columns.Add(property.Name);
                }
            }
        }

        columns.Sort((a, b) => (a == "_id" ? 0 : 1).CompareTo(b == "_id" ? 0 : 1));
        if (columns.Count == 0)
        {
            return;
        }

        var table = new Table().Border(TableBorder.Rounded);
        foreach (var column in columns)
        {
            table.AddColumn(Markup.Escape(column));
        }

        foreach (var row in rows.EnumerateArray())
        {
            table.AddRow(columns.Select(c => Markup.Escape(row.ValueKind == JsonValueKind.Object && row.TryGetProperty(c, out var value) ? Cell(value) : "")).ToArray());
        }

        AnsiConsole.Write(table);
    }

    private static string Cell(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString()!,
        JsonValueKind.Null => "null",
        _ => value.GetRawText(),
    };

    private void Learn(string nql, JsonElement rows)
    {
        var words = nql.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        var from = Array.FindIndex(words, w => w.Equals("FROM", StringComparison.OrdinalIgnoreCase));
        if (from >= 0 && from + 1 < words.Length)
        {
            _collections.Add(words[from + 1]);
        }

        foreach (var row in rows.EnumerateArray().Take(50).Where(r => r.ValueKind == JsonValueKind.Object))
        {
            foreach (var property in row.EnumerateObject())
            {
                _fields.Add(property.Name);
            }
        }
    }

    private async Task DotCommandAsync(string command, CancellationToken cancellationToken)
    {
        var parts = command.Split((char[]?)null, 2, StringSplitOptions.RemoveEmptyEntries);
        var argument = parts.Length > 1 ? parts[1].Trim() : null;
        switch (parts[0])
        {
            case ".help":
                Console.WriteLine(Help);
                break;
            case ".quit" or ".exit":
                Running = false;
                break;
            case ".json":
                _json = true;
                break;
            case ".table":
                _json = false;
                break;
            case ".timing":
                _timing = argument is not "off";
                break;
            case ".use" when argument is { Length: > 0 }:
                using (await server.GetAsync($"/v1/databases/{Uri.EscapeDataString(argument)}", cancellationToken).ConfigureAwait(false))
                {
                    Database = argument;
                }

                _collections.Clear();
                await LoadNamesAsync(cancellationToken).ConfigureAwait(false);
                break;
            case ".databases":
                await ListAsync(null, cancellationToken).ConfigureAwait(false);
                break;
            case ".collections":
                await ListAsync(Database ?? throw new CliError("no database: choose one with .use <db>"), cancellationToken).ConfigureAwait(false);
                break;
            default:
                throw new CliError($"unknown command {parts[0]}{(parts[0] == ".use" ? " (it needs a database)" : "")}: .help lists them");
        }
    }

    private async Task ListAsync(string? collectionsOf, CancellationToken cancellationToken)
    {
        using var list = await server.GetAsync("/v1/databases", cancellationToken).ConfigureAwait(false);
        var table = new Table().Border(TableBorder.Rounded).AddColumn(collectionsOf is null ? "database" : "collection").AddColumn("documents");
        foreach (var summary in list.RootElement.GetProperty("databases").EnumerateArray())
        {
            var name = summary.GetProperty("name").GetString()!;
            if (collectionsOf is null)
            {
                table.AddRow(Markup.Escape(name), summary.GetProperty("rows").GetRawText());
            }
            else if (name == collectionsOf)
            {
                foreach (var collection in summary.GetProperty("collections").EnumerateObject())
                {
                    _collections.Add(collection.Name);
                    table.AddRow(Markup.Escape(collection.Name), collection.Value.GetRawText());
                }
            }
        }

        AnsiConsole.Write(table);
    }
}
