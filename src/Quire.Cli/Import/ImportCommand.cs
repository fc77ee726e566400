using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Quire.Cli.Client;
using Spectre.Console;

namespace Quire.Cli.Import;

/// <summary>
/// <c>quire import &lt;db&gt; &lt;coll&gt; &lt;file&gt;</c>: loads JSON Lines, a JSON array or CSV into a
/// collection of a running server (the database is created if absent) in atomic batches,
/// with a progress bar on standard error. Ids come from <c>--id-field</c>, else the row's
/// <c>_id</c>, else its line number: an import cut short and run again writes the same
/// documents again, never duplicates. A bad row stops the import with its line number (the
/// rows before it are committed), or with <c>--skip-bad</c> is counted and left out.
/// </summary>
internal static class ImportCommand
{
    public static Command Create()
    {
        var db = InspectCommands.Database();
        var coll = new Argument<string>("collection");
        var file = new Argument<FileInfo>("file") { Description = "The file to load; - for standard input" };
        var format = new Option<string?>("--format") { Description = "jsonl, json (an array) or csv; by default from the file's extension (else jsonl)" };
        format.AcceptOnlyFromAmong(ImportFormats.Names);
        var idField = new Option<string?>("--id-field") { Description = "The field holding each document's id (default: _id, else the line number)" };
        var batch = new Option<int>("--batch") { Description = "Documents per atomic commit", DefaultValueFactory = _ => 1000 };
        var skipBad = new Option<bool>("--skip-bad") { Description = "Leave out bad rows (counted, each named on standard error) instead of stopping" };
        var json = InspectCommands.JsonFlag();
        var command = new Command("import", "Load a JSON Lines, JSON or CSV file into a collection.") { db, coll, file, format, idField, batch, skipBad, json };
        var server = ServerConnection.Options.AddTo(command);
        CommandRunner.SetAction(command, async (result, cancellation) =>
        {
            var path = result.GetValue(file)!;
            if (result.GetValue(batch) < 1)
            {
                throw new CliError("--batch must be at least 1", 2);
            }

            var fromStdin = path.Name == "-";
            if (!fromStdin && !path.Exists)
            {
                throw new CliError($"no file {path.FullName}", 2);
            }

            using var connection = server.Connect(result);
            var name = result.GetValue(db)!;
            if (!await connection.HasDatabaseAsync(name, cancellation).ConfigureAwait(false))
            {
                using var created = await connection.PostAsync("/v1/databases", JsonSerializer.Serialize(new { name }), cancellation).ConfigureAwait(false);
            }

            await using var input = fromStdin ? Console.OpenStandardInput() : path.OpenRead();
            var writer = new ImportWriter(connection, name, result.GetValue(coll)!, result.GetValue(idField), result.GetValue(batch), result.GetValue(skipBad));
            var rows = ImportFormats.Read(input, ImportFormats.Of(path.Name, result.GetValue(format)));
            var clock = Stopwatch.StartNew();
            if (Console.IsErrorRedirected || fromStdin)
            {
                await writer.RunAsync(rows, cancellation).ConfigureAwait(false);
            }
            else
            {
                await Output.Error.Progress()
                    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                    .StartAsync(async progress =>
                    {
                        var task = progress.AddTask("importing", maxValue: Math.Max(1, input.Length));
                        writer.Progress = imported =>
                        {
                            task.Value = input.Position;
                            task.Description = $"{imported:N0} rows, {imported / Math.Max(0.001, clock.Elapsed.TotalSeconds):N0} rows/s";
                        };
                        await writer.RunAsync(rows, cancellation).ConfigureAwait(false);
                        task.Value = task.MaxValue;
                    }).ConfigureAwait(false);
            }

            var seconds = clock.Elapsed.TotalSeconds;
            Console.WriteLine(result.GetValue(json)
                ? JsonSerializer.Serialize(new { imported = writer.Imported, skipped = writer.Skipped, seconds = Math.Round(seconds, 3) })
                : $"imported {writer.Imported:N0} rows into {name}/{result.GetValue(coll)}{(writer.Skipped > 0 ? $", skipped {writer.Skipped:N0} bad rows" : "")} in {seconds:F1} s ({writer.Imported / Math.Max(0.001, seconds):N0} rows/s)");
            return 0;
        });
        return command;
    }
}
