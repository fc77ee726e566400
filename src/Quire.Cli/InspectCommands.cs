using System.CommandLine;
using System.Text.Json;
using Quire.Cli.Client;
using Spectre.Console;

namespace Quire.Cli;

/// <summary>
/// Looking at a running server's databases, with nedb-cli's verbs: <c>get</c> a document,
/// <c>head</c> (seq and hash chain head), <c>status</c>, <c>scan</c> a collection (JSON Lines),
/// <c>verify</c> the hash chain, <c>stats</c>.
/// </summary>
internal static class InspectCommands
{
    public static IEnumerable<Command> Create() => [Get(), Head(), Status(), Scan(), Verify(), Stats()];

    private static Command Get()
    {
        var (db, coll, id) = (Database(), new Argument<string>("collection"), new Argument<string>("id"));
        var json = JsonFlag();
        var command = new Command("get", "Print one document.") { db, coll, id, json };
        var server = ServerConnection.Options.AddTo(command);
        CommandRunner.SetAction(command, async (result, cancellation) =>
        {
            using var connection = server.Connect(result);
            using var document = await connection.GetAsync($"{Path(result.GetValue(db)!)}/docs/{Uri.EscapeDataString(result.GetValue(coll)!)}/{Uri.EscapeDataString(result.GetValue(id)!)}", cancellation).ConfigureAwait(false);
            Output.Json(document.RootElement, compact: result.GetValue(json));
            return 0;
        });
        return command;
    }

    private static Command Head()
    {
        var (db, json) = (Database(), JsonFlag());
        var command = new Command("head", "Print a database's last seq and hash chain head.") { db, json };
        var server = ServerConnection.Options.AddTo(command);
        CommandRunner.SetAction(command, async (result, cancellation) =>
        {
            using var connection = server.Connect(result);
            using var detail = await connection.GetAsync(Path(result.GetValue(db)!), cancellation).ConfigureAwait(false);
            var database = detail.RootElement;
            var (seq, head) = (database.GetProperty("seq").GetInt64(), database.GetProperty("head").GetString());
            Console.WriteLine(result.GetValue(json) ? JsonSerializer.Serialize(new { seq, head }) : $"seq {seq} head {head}");
            return 0;
        });
        return command;
    }

    private static Command Status()
    {
        var (db, json) = (Database(), JsonFlag());
        var command = new Command("status", "Print a database's change-feed status (tip seq, the op log kept).") { db, json };
        var server = ServerConnection.Options.AddTo(command);
        CommandRunner.SetAction(command, async (result, cancellation) =>
        {
            using var connection = server.Connect(result);
            using var status = await connection.GetAsync($"{Path(result.GetValue(db)!)}/status", cancellation).ConfigureAwait(false);
            Output.Fields(status.RootElement, result.GetValue(json));
            return 0;
        });
        return command;
    }

    private static Command Scan()
    {
        var (db, coll) = (Database(), new Argument<string>("collection"));
        var limit = new Option<int>("--limit") { Description = "How many documents", DefaultValueFactory = _ => 20 };
        var after = new Option<string?>("--after") { Description = "Start after this id" };
        var command = new Command("scan", "Print a collection's documents in id order, one JSON per line.") { db, coll, limit, after };
        var server = ServerConnection.Options.AddTo(command);
        CommandRunner.SetAction(command, async (result, cancellation) =>
        {
            if (result.GetValue(limit) < 1)
            {
                throw new CliError("--limit must be at least 1", 2);
            }

            using var connection = server.Connect(result);
            var where = result.GetValue(after) is { } id ? $" WHERE _id > {Nql.Quote(id)}" : "";
            using var rows = await connection.PostAsync($"{Path(result.GetValue(db)!)}/query", JsonSerializer.Serialize(new { nql = $"FROM {result.GetValue(coll)}{where} LIMIT {result.GetValue(limit)}" }), cancellation).ConfigureAwait(false);
            foreach (var row in rows.RootElement.GetProperty("rows").EnumerateArray())
            {
                Console.WriteLine(row.GetRawText());
            }

            return 0;
        });
        return command;
    }

    private static Command Verify()
    {
        var (db, json) = (Database(), JsonFlag());
        var command = new Command("verify", "Recompute a database's hash chain over its op log (with --data, also read every page against its checksum); exit 1 when it does not hold.") { db, json };
        var server = ServerConnection.Options.AddTo(command);
        var offline = OfflineDatabase.Options.AddTo(command);
        CommandRunner.SetAction(command, async (result, cancellation) =>
        {
            var name = result.GetValue(db)!;
            using var local = offline.Open(result, name);
            using var answer = local is null
                ? await server.Connect(result).GetAsync($"{Path(name)}/verify", cancellation).ConfigureAwait(false)
                : JsonDocument.Parse(JsonSerializer.Serialize(VerifyOffline(local.Database)));
            var verify = answer.RootElement;
            var ok = verify.GetProperty("ok").GetBoolean();
            if (result.GetValue(json))
            {
                Output.Json(verify, compact: true);
            }
            else if (ok)
            {
                var pages = verify.TryGetProperty("entries", out var entries) ? $"; every page read and checked ({entries.GetInt64():N0} entries)" : "";
                Console.WriteLine($"ok: the hash chain holds to seq {verify.GetProperty("seq").GetInt64()}, head {verify.GetProperty("head").GetString()}{pages}");
            }
            else
            {
                Console.WriteLine($"broken: {verify.GetProperty("problem").GetString()}");
            }

            return ok ? 0 : 1;
        });
        return command;
    }

    /// <summary>The chain, and every page read (a damaged one is the problem).</summary>
    private static object VerifyOffline(Databases.Database database)
    {
        long entries;
        try
        {
            entries = database.ReadEverything();
        }
        catch (Storage.Format.CorruptDataException ex)
        {
            return new { ok = false, seq = database.Seq, problem = ex.Message };
        }

        var chain = database.Verify();
        return chain.Ok
            ? new { ok = true, seq = chain.Seq, head = chain.Head, entries }
            : (object)new { ok = false, seq = chain.Seq, head = chain.Head, problem = chain.Problem };
    }

    private static Command Stats()
    {
        var (db, json) = (Database(), JsonFlag());
        var command = new Command("stats", "Print a database's documents per collection, indexes and their builds (with --data, also its storage: sizes, tree depth, free space, log, checkpoint).") { db, json };
        var server = ServerConnection.Options.AddTo(command);
        var offline = OfflineDatabase.Options.AddTo(command);
        CommandRunner.SetAction(command, async (result, cancellation) =>
        {
            var name = result.GetValue(db)!;
            using var local = offline.Open(result, name);
            using var detail = local is null
                ? await server.Connect(result).GetAsync(Path(name), cancellation).ConfigureAwait(false)
                : JsonDocument.Parse(JsonSerializer.Serialize(StatsOffline(local.Database)));
            var database = detail.RootElement;
            if (result.GetValue(json))
            {
                Output.Json(database, compact: true);
                return 0;
            }

            Console.WriteLine($"{database.GetProperty("name").GetString()}: {database.GetProperty("rows").GetInt64():N0} documents, seq {database.GetProperty("seq").GetInt64()}");
            var collections = new Table().AddColumn("collection").AddColumn(new TableColumn("documents").RightAligned()).Border(TableBorder.Rounded);
            foreach (var collection in database.GetProperty("collections").EnumerateObject())
            {
                collections.AddRow(Markup.Escape(collection.Name), $"{collection.Value.GetInt64():N0}");
            }

            AnsiConsole.Write(collections);
            if (database.TryGetProperty("index_builds", out var builds) && builds.GetArrayLength() > 0)
            {
                var indexes = new Table().AddColumn("collection").AddColumn("field").AddColumn("kind").AddColumn("ready").Border(TableBorder.Rounded);
                foreach (var index in builds.EnumerateArray())
                {
                    var ready = index.GetProperty("ready").GetBoolean();
                    var error = index.TryGetProperty("error", out var e) ? $" ({e.GetString()})" : "";
                    indexes.AddRow(Markup.Escape(index.GetProperty("collection").GetString()!), Markup.Escape(index.GetProperty("field").GetString()!), index.GetProperty("kind").GetString()!, Markup.Escape(ready ? "yes" : $"building{error}"));
                }

                AnsiConsole.Write(indexes);
            }

            if (database.TryGetProperty("storage", out var storage))
            {
                Output.Fields(storage, json: false);
            }

            return 0;
        });
        return command;
    }

    /// <summary>What the server's detail route says, read from the database itself, and its storage.</summary>
    private static object StatsOffline(Databases.Database database)
    {
        var counts = database.RowCounts();
        var storage = database.Storage;
        return new
        {
            name = database.Name,
            seq = database.Seq,
            rows = counts.Values.Sum(),
            collections = counts,
            index_builds = database.AllIndexes().SelectMany(c => c.Value.Select(i => new { collection = c.Key, field = i.Field, kind = i.Kind.ToString().ToLowerInvariant(), ready = i.Ready })),
            storage = new
            {
                data_file_bytes = storage.DataFileBytes,
                free_bytes = storage.FreeBytes,
                tree_depth = storage.TreeDepth,
                log_bytes_since_checkpoint = storage.LogBytesSinceCheckpoint,
                checkpointed_seq = storage.CheckpointedSeq,
                encrypted = storage.Encrypted,
            },
        };
    }

    internal static Argument<string> Database() => new("database") { Description = "The database's name" };

    internal static Option<bool> JsonFlag() => new("--json") { Description = "Print JSON (for scripts)" };

    internal static string Path(string database) => $"/v1/databases/{Uri.EscapeDataString(database)}";
}
