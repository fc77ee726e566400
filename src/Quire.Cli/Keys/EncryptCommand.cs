using System.CommandLine;
using Quire.Cli.Client;
using Quire.Databases;
using Quire.Documents;
using Quire.Storage.IO;

namespace Quire.Cli.Keys;

/// <summary>
/// <c>quire encrypt</c>: converts plaintext databases of a data directory into encrypted
/// ones under the master key, offline (the server must be stopped: a database it holds is
/// refused, untouched). Everything is kept: documents, indexes, history, seqs and the chain.
/// </summary>
internal static class EncryptCommand
{
    public static Command Create()
    {
        var data = new Option<string>("--data") { Description = "Directory of the databases (env NEDBD_DATA)", DefaultValueFactory = _ => Environment.GetEnvironmentVariable("NEDBD_DATA") ?? "./data" };
        var only = new Option<string?>("--db") { Description = "Only this database (default: every plaintext one)" };
        var keyFile = MasterKeyOptions.KeyFile("File of the master key to encrypt under (env NEDB_TMK_FILE, or the key itself in NEDB_TMK)");
        var command = new Command("encrypt", "Convert plaintext databases into encrypted ones, offline, keeping everything.") { data, only, keyFile };
        CommandRunner.SetAction(command, (result, _) =>
        {
            var key = MasterKeyOptions.Resolve(result.GetValue(keyFile))
                ?? throw new CliError("give the master key with --key-file, NEDB_TMK_FILE or NEDB_TMK", exitCode: 2);
            var root = Path.GetFullPath(result.GetValue(data)!);
            if (!Directory.Exists(root))
            {
                throw new CliError($"the data directory {root} does not exist", exitCode: 2);
            }

            var names = result.GetValue(only) is { } name ? [name] : DatabaseEncryption.PlaintextDatabases(root);
            foreach (var database in names)
            {
                try
                {
                    var seq = DatabaseEncryption.Encrypt(root, database, key);
                    Console.WriteLine($"{database}: encrypted as of seq {seq} (master key {key.FingerprintHex})");
                }
                catch (DatabaseLockedException)
                {
                    throw new CliError($"{database} is open in a running server or another process: stop it first (nothing was changed)");
                }
                catch (Exception ex) when (ex is DatabaseNotFoundException or InvalidOperationException or InvalidNameException)
                {
                    throw new CliError($"{database}: {ex.Message}");
                }
            }

            Console.WriteLine($"{names.Count} database(s) encrypted");
            return Task.FromResult(0);
        });
        return command;
    }
}
