using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Quire.Cli.Client;

namespace Quire.Cli;

/// <summary>
/// <c>quire export &lt;db&gt; [coll]</c>: a collection's documents (or every collection's, each
/// line with its <c>_coll</c>) as JSON Lines on standard output or <c>--out FILE</c>, all as of
/// one seq: pages of <c>FROM c AS OF seq WHERE _id &gt; last LIMIT n</c>, which read from the last
/// id on. <c>_seq</c> is left out, so the file imports again as it is (<c>quire import</c> takes
/// <c>_id</c>). A server that keeps no history cannot read as of a seq: then each page reads
/// the present, and the export says so.
/// </summary>
internal static class ExportCommand
{
    private const int Page = 5000;
    private static readonly byte[] NewLine = "\n"u8.ToArray();

    public static Command Create()
    {
        var db = InspectCommands.Database();
        var coll = new Argument<string?>("collection") { Description = "One collection (default: all)", Arity = ArgumentArity.ZeroOrOne };
        var output = new Option<FileInfo?>("--out") { Description = "Write to this file instead of standard output" };
        var command = new Command("export", "Write documents as JSON Lines, consistent as of one seq.") { db, coll, output };
        var server = ServerConnection.Options.AddTo(command);
        CommandRunner.SetAction(command, async (result, cancellation) =>
        {
            using var connection = server.Connect(result);
            var name = result.GetValue(db)!;
            using var detail = await connection.GetAsync(InspectCommands.Path(name), cancellation).ConfigureAwait(false);
            var database = detail.RootElement;
            var seq = database.GetProperty("seq").GetInt64();
            var collections = result.GetValue(coll) is { } one ? [one] : database.GetProperty("collections").EnumerateObject().Select(c => c.Name).ToList();
            var file = result.GetValue(output);
            await using var stream = new BufferedStream(file is null ? Console.OpenStandardOutput() : file.Create(), 1 << 20);
            await using var writer = new Utf8JsonWriter(stream);
            var clock = Stopwatch.StartNew();
            var (count, asOf) = (0L, seq >= 0);
            foreach (var collection in seq < 0 ? [] : collections)
            {
                string? last = null;
                while (true)
                {
                    var where = last is null ? "" : $" WHERE _id > {Nql.Quote(last)}";
                    JsonDocument page;
                    try
                    {
                        page = await connection.PostAsync($"{InspectCommands.Path(name)}/query", JsonSerializer.Serialize(new { nql = $"FROM {collection}{(asOf ? $" AS OF {seq}" : "")}{where} LIMIT {Page}" }), cancellation).ConfigureAwait(false);
                    }
                    catch (CliError refused) when (asOf && refused.Status == 400 && refused.Reason?.Contains("AS OF", StringComparison.Ordinal) == true)
                    {
                        asOf = false;
                        await Console.Error.WriteLineAsync($"quire export: {refused.Reason}; exporting the present, page by page, not as of one seq").ConfigureAwait(false);
                        continue;
                    }

                    using (page)
                    {
                        var rows = page.RootElement.GetProperty("rows");
                        foreach (var row in rows.EnumerateArray())
                        {
                            Write(writer, row, result.GetValue(coll) is null ? collection : null);
                            await writer.FlushAsync(cancellation).ConfigureAwait(false);
                            await stream.WriteAsync(NewLine, cancellation).ConfigureAwait(false);
                            writer.Reset();
                            last = row.GetProperty("_id").GetString();
                            count++;
                        }

                        // A page cut short by the server's response limit goes on from its last row.
                        var truncated = page.RootElement.TryGetProperty("truncated", out var cut) && cut.GetBoolean();
                        if (truncated && rows.GetArrayLength() == 0)
                        {
                            throw new CliError($"the server sends no page of {collection}: {page.RootElement.GetProperty("error").GetString()}");
                        }

                        if (!truncated && rows.GetArrayLength() < Page)
                        {
                            break;
                        }
                    }
                }
            }

            await Console.Error.WriteLineAsync($"quire export: {count:N0} documents of {name} {(asOf ? $"as of seq {seq}" : "as they were read, page by page (not as of one seq)")} in {clock.Elapsed.TotalSeconds:F1} s").ConfigureAwait(false);
            return 0;
        });
        return command;
    }

    /// <summary>A row without its <c>_seq</c>, with its collection when the export holds several.</summary>
    private static void Write(Utf8JsonWriter writer, JsonElement row, string? collection)
    {
        writer.WriteStartObject();
        if (collection is not null)
        {
            writer.WriteString("_coll", collection);
        }

        foreach (var property in row.EnumerateObject())
        {
            if (property.NameEquals("_seq"))
            {
                continue;
            }

            property.WriteTo(writer);
        }

        writer.WriteEndObject();
    }
}
