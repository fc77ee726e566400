using System.CommandLine;
using System.Text;
using Quire.Cli.Client;

namespace Quire.Cli.Shell;

/// <summary>
/// <c>quire shell [db]</c>: an NQL shell against a running server. On a terminal it edits
/// lines (history kept in <c>~/.quire_history</c>, Tab completion); with input redirected it
/// reads statements from it, so <c>quire shell shop &lt; queries.nql</c> runs a script.
/// Statements end with <c>;</c> and may span lines; lines starting with <c>.</c> are commands.
/// </summary>
internal static class ShellCommand
{
    public static Command Create()
    {
        var database = new Argument<string?>("db") { Description = "The database to query (.use changes it)", Arity = ArgumentArity.ZeroOrOne };
        var json = new Option<bool>("--json") { Description = "Print rows as JSON lines instead of a table" };
        var command = new Command("shell", "An NQL shell: statements end with ';', .help lists the commands.") { database, json };
        var server = ServerConnection.Options.AddTo(command);
        CommandRunner.SetAction(command, async (result, cancellationToken) =>
        {
            using var connection = server.Connect(result);
            var session = new ShellSession(connection, result.GetValue(database), result.GetValue(json));
            if (result.GetValue(database) is { } name)
            {
                // A database that is not there is a usage mistake, said before any prompt.
                using (await connection.GetAsync($"/v1/databases/{Uri.EscapeDataString(name)}", cancellationToken).ConfigureAwait(false))
                {
                }
            }

            await session.LoadNamesAsync(cancellationToken).ConfigureAwait(false);
            var interactive = !Console.IsInputRedirected;
            var history = new ShellHistory(interactive ? HistoryPath() : null);
            var editor = interactive ? new LineEditor(history, session.Complete) : null;
            if (interactive)
            {
                Console.WriteLine($"quire shell: {connection.Url}{(session.Database is { } db ? $", database {db}" : "")}. Statements end with ';'. .help for help, .quit to leave.");
            }

            var statement = new StringBuilder();
            while (session.Running)
            {
                var prompt = statement.Length == 0 ? $"{session.Database ?? "quire"}> " : "   ...> ";
                var line = editor is not null ? editor.ReadLine(prompt) : await Console.In.ReadLineAsync(cancellationToken).ConfigureAwait(false);
                if (line is null)
                {
                    break;
                }

                if (statement.Length == 0 && line.TrimStart().StartsWith('.'))
                {
                    history.Add(line.Trim());
                    await session.RunAsync(line, cancellationToken).ConfigureAwait(false);
                    continue;
                }

                statement.Append(statement.Length == 0 ? "" : " ").Append(line.Trim());
                if (statement.ToString().EndsWith(';'))
                {
                    history.Add(statement.ToString());
                    await session.RunAsync(statement.ToString(), cancellationToken).ConfigureAwait(false);
                    statement.Clear();
                }
            }

            // Input ended in the middle of a statement: run what there is (a script's last line may lack its ';').
            if (statement.Length > 0 && session.Running)
            {
                await session.RunAsync(statement.ToString(), cancellationToken).ConfigureAwait(false);
            }

            return 0;
        });
        return command;
    }

    private static string? HistoryPath() =>
        Environment.GetFolderPath(Environment.SpecialFolder.UserProfile) is { Length: > 0 } home ? Path.Combine(home, ".quire_history") : null;
}
