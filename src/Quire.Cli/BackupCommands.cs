using System.CommandLine;
using System.Globalization;
using Quire.Cli.Client;
using Quire.Databases;

namespace Quire.Cli;

/// <summary>
/// <c>quire backup &lt;db&gt; &lt;path&gt;</c>: an online, consistent copy of a database of a running
/// server (as of a checkpoint it takes then, while writes go on: the server's
/// <c>replication/snapshot</c>), written to a file; <c>quire restore &lt;file&gt; --data DIR</c>:
/// the database made again from it in a data directory (checked end to end, then its hash
/// chain verified).
/// </summary>
internal static class BackupCommands
{
    public static IEnumerable<Command> Create() => [Backup(), Restore()];

    private static Command Backup()
    {
        var db = InspectCommands.Database();
        var path = new Argument<string>("path") { Description = "A file, or a directory to write <db>-<seq>.quire-backup in" };
        var command = new Command("backup", "Copy a database of a running server to a file, consistently, while writes go on.") { db, path };
        var server = ServerConnection.Options.AddTo(command);
        CommandRunner.SetAction(command, async (result, cancellation) =>
        {
            using var connection = server.Connect(result);
            var name = result.GetValue(db)!;
            using var request = new HttpRequestMessage(HttpMethod.Get, $"{InspectCommands.Path(name)}/replication/snapshot");
            using var response = await connection.SendAsync(request, cancellation).ConfigureAwait(false);
            if (response.StatusCode == System.Net.HttpStatusCode.NoContent)
            {
                throw new CliError($"database {name} holds nothing yet: there is nothing to back up");
            }

            var seq = response.Headers.TryGetValues("Quire-Seq", out var values) ? long.Parse(values.First(), CultureInfo.InvariantCulture) : -1;
            var target = result.GetValue(path)!;
            if (Directory.Exists(target))
            {
                target = Path.Combine(target, $"{name}-{seq}.quire-backup");
            }

            var partial = target + ".partial";
            try
            {
                await using (var file = File.Create(partial))
                {
                    await response.Content.CopyToAsync(file, cancellation).ConfigureAwait(false);
                    await file.FlushAsync(cancellation).ConfigureAwait(false);
                    file.Flush(flushToDisk: true);
                }

                var written = new FileInfo(partial).Length;
                if (response.Content.Headers.ContentLength is { } length && written != length)
                {
                    throw new CliError($"the copy was cut short ({written} of {length} bytes)");
                }
            }
            catch
            {
                File.Delete(partial);   // nothing that looks like a backup is left of a failed one
                throw;
            }

            File.Move(partial, target, overwrite: true);
            Console.WriteLine($"backed up {name} as of seq {seq} to {target} ({new FileInfo(target).Length:N0} bytes)");
            return 0;
        });
        return command;
    }

    private static Command Restore()
    {
        var file = new Argument<string>("from") { Description = "A file written by quire backup, or an archive: s3://bucket/prefix (quire serve --archive)" };
        var data = new Option<string>("--data", "--to") { Description = "The data directory to restore into (no server may hold it)", DefaultValueFactory = _ => "./data" };
        var name = new Option<string?>("--name") { Description = "The database's name there (default: the name in the file's name, before -<seq>; from an archive, every database in it under its own name)" };
        var keyFile = Keys.MasterKeyOptions.KeyFile("The master key, for a backup of an encrypted database (env NEDB_TMK_FILE, or the key itself in NEDB_TMK)");
        var archive = ArchiveRestoreCli.Options.AddTo();
        var command = new Command("restore", "Make a database again from a backup file or from its archive (as of a seq or a time), in a data directory no server holds.")
        {
            file, data, name, keyFile, archive.Database, archive.Seq, archive.Time, archive.Endpoint,
        };
        CommandRunner.SetAction(command, async (result, cancellation) =>
        {
            if (result.GetValue(file)!.StartsWith("s3://", StringComparison.Ordinal))
            {
                return await ArchiveRestoreCli.RunAsync(result, result.GetValue(file)!, result.GetValue(data)!, result.GetValue(name), Keys.MasterKeyOptions.Resolve(result.GetValue(keyFile)), archive, cancellation).ConfigureAwait(false);
            }

            var source = new FileInfo(result.GetValue(file)!);
            if (!source.Exists)
            {
                throw new CliError($"no file {source.FullName}", 2);
            }

            var database = result.GetValue(name) ?? NameOf(source.Name) ?? throw new CliError("--name is needed: the file's name does not say the database's", 2);
            var root = result.GetValue(data)!;
            var storage = new Storage.Engine.StorageOptions { MasterKey = Keys.MasterKeyOptions.Resolve(result.GetValue(keyFile)) };
            using var catalog = DatabaseCatalog.Open(root, new DatabaseOptions { Storage = storage });
            if (catalog.Exists(database))
            {
                throw new CliError($"{Path.GetFullPath(root)} already holds a database {database}: restore into another --data or --name", 2);
            }

            await using (var stream = source.OpenRead())
            {
                try
                {
                    await catalog.ReplaceFromCopyAsync(database, stream, cancellation).ConfigureAwait(false);
                }
                catch (InvalidDataException ex)
                {
                    throw new CliError($"{source.Name} is not a whole backup: {ex.Message}");
                }
                catch (Storage.Crypto.EncryptionKeyException ex)
                {
                    // The files are in place, sealed as they were backed up: they open with the key.
                    throw new CliError($"restored {database} into {Path.GetFullPath(root)}, but it is encrypted and cannot be opened to verify it: {ex.Message}");
                }
            }

            var verified = catalog.Get(database).Verify();
            if (!verified.Ok)
            {
                throw new CliError($"restored {database}, but its hash chain does not hold: {verified.Problem}");
            }

            Console.WriteLine($"restored {database} in {Path.GetFullPath(root)} as of seq {verified.Seq}, head {verified.Head}");
            return 0;
        });
        return command;
    }

    /// <summary>The database's name in a backup file's name (<c>shop-1234.quire-backup</c>: shop).</summary>
    private static string? NameOf(string fileName)
    {
        var stem = Path.GetFileNameWithoutExtension(fileName);
        var dash = stem.LastIndexOf('-');
        return dash > 0 && stem[(dash + 1)..].All(char.IsAsciiDigit) ? stem[..dash] : null;
    }
}
