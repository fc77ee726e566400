using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Quire.Cli.Client;

namespace Quire.Cli;

/// <summary>
/// <c>quire export &lt;db&gt; [coll]</c>: a collection's documents (or every collection's, each
/// line with its <c>_coll</c>) as JSON Lines on standard output or <c>--out FILE</c>, all as of
/// one seq: the server's <c>GET .../export</c> stream, read from one snapshot and copied as it
/// comes (a server without it, nedbd's, is read in pages <c>FROM c AS OF seq WHERE _id &gt; last</c>;
/// without history, page by page as they are read, and the export says so). <c>_seq</c> is
/// left out, so the file imports again as it is (<c>quire import</c> takes <c>_id</c>).
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
            var file = result.GetValue(output);
            await using var stream = new BufferedStream(file is null ? Console.OpenStandardOutput() : file.Create(), 1 << 20);
            var clock = Stopwatch.StartNew();
            var (count, seq) = await StreamedAsync(connection, name, result.GetValue(coll), stream, cancellation).ConfigureAwait(false)
                ?? await PagedAsync(connection, name, result.GetValue(coll), stream, cancellation).ConfigureAwait(false);
            await Console.Error.WriteLineAsync($"quire export: {count:N0} documents of {name} {(seq is { } at ? $"as of seq {at}" : "as they were read, page by page (not as of one seq)")} in {clock.Elapsed.TotalSeconds:F1} s").ConfigureAwait(false);
            return 0;
        });
        return command;
    }

    /// <summary>
    /// The export through the server's own <c>GET .../export</c>: one stream read from one
    /// snapshot, copied to <paramref name="output"/> as it comes. Null when the server has no
    /// such route (nedbd, or an older Quire): then the export goes page by page.
    /// </summary>
    private static async Task<(long Count, long? Seq)?> StreamedAsync(ServerConnection connection, string name, string? collection, Stream output, CancellationToken cancellationToken)
    {
        var path = $"{InspectCommands.Path(name)}/export{(collection is null ? "" : $"?coll={Uri.EscapeDataString(collection)}")}";
        HttpResponseMessage response;
        try
        {
            response = await connection.SendAsync(new HttpRequestMessage(HttpMethod.Get, path), cancellationToken).ConfigureAwait(false);
        }
        catch (CliError missing) when (missing.Status == 404 && missing.Reason == "no such route")
        {
            return null;
        }

        using (response)
        {
            long? seq = response.Headers.TryGetValues("X-Quire-Seq", out var values) && long.TryParse(values.FirstOrDefault(), System.Globalization.CultureInfo.InvariantCulture, out var s) ? s : null;
            var buffer = new byte[1 << 16];
            var (lines, last) = (0L, (byte)'\n');
            try
            {
                await using var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
                int read;
                while ((read = await body.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    lines += buffer.AsSpan(0, read).Count((byte)'\n');
                    last = buffer[read - 1];
                    await output.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException)
            {
                throw new CliError($"the export of {name} was cut off after {lines:N0} documents: {ex.Message}");
            }

            if (last != (byte)'\n')
            {
                throw new CliError($"the export of {name} was cut off after {lines:N0} documents (the last line is incomplete)");
            }

            return (lines, seq);
        }
    }

    /// <summary>
    /// The export as pages of <c>FROM c AS OF seq WHERE _id &gt; last LIMIT n</c>, for a server
    /// without <c>GET .../export</c>; without history, page by page as they are read.
    /// </summary>
    private static async Task<(long Count, long? Seq)> PagedAsync(ServerConnection connection, string name, string? only, Stream stream, CancellationToken cancellation)
    {
        using var detail = await connection.GetAsync(InspectCommands.Path(name), cancellation).ConfigureAwait(false);
        var database = detail.RootElement;
        var seq = database.GetProperty("seq").GetInt64();
        var collections = only is { } one ? [one] : database.GetProperty("collections").EnumerateObject().Select(c => c.Name).ToList();
        await using var writer = new Utf8JsonWriter(stream);
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
                        Write(writer, row, only is null ? collection : null);
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

        return (count, asOf ? seq : null);
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
