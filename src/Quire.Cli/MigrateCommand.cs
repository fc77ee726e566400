using System.CommandLine;
using System.Text;
using System.Text.Json;
using Quire.Cli.Client;
using Quire.Cli.Keys;
using Quire.Databases;
using Quire.Migration;
using Quire.Storage.IO;
using Spectre.Console;

namespace Quire.Cli;

/// <summary>
/// <c>quire migrate-nedbd</c>: moves nedbd v1 databases into a Quire data directory, offline,
/// and prints what was carried, what could not be, and whether the result checked out
/// (exit 1 when it did not).
/// </summary>
internal static class MigrateCommand
{
    public static Command Create()
    {
        var source = new Argument<string>("nedbd-data") { Description = "nedbd's data directory (its --data / NEDBD_DATA): one subdirectory per database" };
        var target = new Argument<string>("quire-data") { Description = "The Quire data directory to create the databases in (no server may hold it)" };
        var only = new Option<string?>("--db") { Description = "Only this database (default: every one found)" };
        var keyFile = MasterKeyOptions.KeyFile("nedbd's master key file (raw bytes, as NEDB_TMK_FILE; env NEDB_TMK_FILE, or the key in hex in NEDB_TMK): opens encrypted nedbd databases, and the Quire databases are encrypted under it");
        var json = InspectCommands.JsonFlag();
        var command = new Command("migrate-nedbd", "Move nedbd v1 databases (log.aof, snapshot.json, encrypted ones too) into Quire, keeping seqs, and check the result.")
        {
            source, target, only, keyFile, json,
        };
        CommandRunner.SetAction(command, async (result, cancellation) =>
        {
            var root = result.GetValue(source)!;
            if (!Directory.Exists(root))
            {
                throw new CliError($"the nedbd data directory {root} does not exist", exitCode: 2);
            }

            var names = result.GetValue(only) is { } name ? [name] : NedbdMigration.Databases(root);
            if (names.Count == 0)
            {
                throw new CliError($"{root} holds no nedbd database (a subdirectory with log.aof or meta.json)");
            }

            var material = NedbdKeyMaterial(result.GetValue(keyFile));
            var quireKey = MasterKeyOptions.Resolve(result.GetValue(keyFile));
            var failed = 0;
            foreach (var database in names)
            {
                var directory = Path.Combine(root, database);
                NedbdMigrationReport report;
                try
                {
                    if (!Directory.Exists(directory))
                    {
                        throw new NedbdFormatException($"{root} has no database {database}");
                    }

                    var progress = new Progress<NedbdMigrationProgress>(p =>
                        Output.Error.MarkupLine($"[grey]{Markup.Escape(p.Database)}: {p.Records:N0} records, {100.0 * p.BytesRead / Math.Max(1, p.TotalBytes):F0}%[/]"));
                    report = await NedbdMigration.MigrateAsync(directory, result.GetValue(target)!, database, material, quireKey, progress, cancellation).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is NedbdFormatException or DatabaseExistsException or Documents.InvalidNameException or DatabaseLockedException)
                {
                    // One database that cannot move does not stop the others; the exit code says so.
                    Output.Error.MarkupLine($"[red]{Markup.Escape(database)}: {Markup.Escape(ex.Message)} (nothing was written for it)[/]");
                    failed++;
                    continue;
                }

                if (result.GetValue(json))
                {
                    Console.WriteLine(Json(report));
                }
                else
                {
                    Print(report);
                }

                failed += report.Verified ? 0 : 1;
            }

            return failed == 0 ? 0 : 1;
        });
        return command;
    }

    /// <summary>
    /// nedbd's master key material: the bytes of the key file (nedbd strips surrounding white
    /// space and takes the rest as raw bytes) or of <c>NEDB_TMK</c> read as hex. A file holding
    /// hex is also tried decoded, for a key written the way Quire's key files may be.
    /// </summary>
    private static List<byte[]> NedbdKeyMaterial(string? keyFile)
    {
        var candidates = new List<byte[]>();
        if (keyFile is not null)
        {
            if (!File.Exists(keyFile))
            {
                throw new CliError($"the key file {keyFile} does not exist", exitCode: 2);
            }

            var raw = File.ReadAllBytes(keyFile).AsSpan().Trim(" \t\r\n\v\f"u8).ToArray();
            candidates.Add(raw);
            if (TryHex(Encoding.ASCII.GetString(raw)) is { } decoded)
            {
                candidates.Add(decoded);
            }
        }
        else if (Environment.GetEnvironmentVariable("NEDB_TMK") is { Length: > 0 } hex)
        {
            candidates.Add(TryHex(hex) ?? throw new CliError("NEDB_TMK must be the master key in hex", exitCode: 2));
        }

        return candidates;
    }

    private static byte[]? TryHex(string text)
    {
        var compact = string.Concat(text.Where(c => !char.IsWhiteSpace(c)));
        try
        {
            return compact.Length is > 0 and var n && n % 2 == 0 ? Convert.FromHexString(compact) : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private static void Print(NedbdMigrationReport report)
    {
        Console.WriteLine($"{report.Database}: {report.Records:N0} records to seq {report.LastSeq}{(report.Encrypted ? " (encrypted)" : "")}: "
            + $"{report.DocumentOps:N0} puts/deletes, {report.LinkOps:N0} links/unlinks, {report.FileVersions:N0} file versions, {report.Checkpoints:N0} checkpoint markers");
        Console.WriteLine($"  indexes: {(report.Indexes.Count == 0 ? "none" : string.Join(", ", report.Indexes))}");
        Console.WriteLine($"  nedbd head {report.NedbdHead}; Quire head {report.QuireHead}");
        if (report.ExpiredDocuments > 0)
        {
            Console.WriteLine($"  {report.ExpiredDocuments:N0} document(s) had passed their TTL: they read as absent and the sweep deletes them");
        }

        if (report.StoppedEarly is { } stopped)
        {
            Console.WriteLine($"  log read up to {stopped}");
        }

        if (report.ChainBreakCount > 0)
        {
            Console.WriteLine($"  nedbd's own hash chain breaks at {report.ChainBreakCount:N0} record(s), first at seq {report.ChainBreaks[0].Seq} (line {report.ChainBreaks[0].Line}); carried as they are");
        }

        foreach (var skipped in report.NotCarried)
        {
            Console.WriteLine($"  not carried: seq {skipped.Seq} (line {skipped.Line}) {skipped.Op}: {skipped.Reason}");
        }

        foreach (var mismatch in report.Mismatches)
        {
            Console.WriteLine($"  MISMATCH: {mismatch}");
        }

        Console.WriteLine(report.Verified ? "  verified: every document, link and index matches nedbd's, and Quire's chain verifies" : "  NOT verified");
    }

    private static string Json(NedbdMigrationReport report) => JsonSerializer.Serialize(new
    {
        database = report.Database,
        encrypted = report.Encrypted,
        records = report.Records,
        last_seq = report.LastSeq,
        nedbd_head = report.NedbdHead,
        quire_head = report.QuireHead,
        document_ops = report.DocumentOps,
        link_ops = report.LinkOps,
        file_versions = report.FileVersions,
        checkpoints = report.Checkpoints,
        indexes = report.Indexes,
        expired_documents = report.ExpiredDocuments,
        stopped_early = report.StoppedEarly,
        chain_breaks = report.ChainBreakCount,
        not_carried = report.NotCarried.Select(n => new { seq = n.Seq, line = n.Line, op = n.Op, reason = n.Reason }),
        mismatches = report.Mismatches,
        verified = report.Verified,
    });
}
