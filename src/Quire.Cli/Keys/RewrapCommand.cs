using System.CommandLine;
using Quire.Cli.Client;
using Quire.Storage.Crypto;

namespace Quire.Cli.Keys;

/// <summary>
/// <c>quire rewrap</c>: rotates the master key of the encrypted databases in a data
/// directory. Each database's data key is sealed again under the new master key and its
/// small key file replaced whole; no data is rewritten, and a running server keeps going
/// (it reads key files only when a database opens or is copied). Plaintext databases are
/// left as they are.
/// </summary>
internal static class RewrapCommand
{
    public static Command Create()
    {
        var data = new Option<string>("--data") { Description = "Directory of the databases (env NEDBD_DATA)", DefaultValueFactory = _ => Environment.GetEnvironmentVariable("NEDBD_DATA") ?? "./data" };
        var only = new Option<string?>("--db") { Description = "Only this database (default: every encrypted one)" };
        var keyFile = MasterKeyOptions.KeyFile("File of the current master key (env NEDB_TMK_FILE, or the key itself in NEDB_TMK)");
        var newKeyFile = new Option<string>("--new-key-file") { Description = "File of the new master key (raw bytes, or 64 hex characters)", Required = true };
        var command = new Command("rewrap", "Rotate the master key of encrypted databases without rewriting their data.") { data, only, keyFile, newKeyFile };
        CommandRunner.SetAction(command, (result, _) =>
        {
            var current = MasterKeyOptions.Resolve(result.GetValue(keyFile))
                ?? throw new CliError("give the current master key with --key-file, NEDB_TMK_FILE or NEDB_TMK", exitCode: 2);
            var next = MasterKeyOptions.Load(result.GetValue(newKeyFile)!);
            var root = Path.GetFullPath(result.GetValue(data)!);
            if (!Directory.Exists(root))
            {
                throw new CliError($"the data directory {root} does not exist", exitCode: 2);
            }

            var names = result.GetValue(only) is { } name ? [name] : Directory.GetDirectories(root).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToArray();
            var rewrapped = 0;
            foreach (var database in names)
            {
                var directory = Path.Combine(root, database);
                if (!DatabaseKeys.IsEncrypted(directory))
                {
                    if (result.GetValue(only) is not null)
                    {
                        throw new CliError(Directory.Exists(directory) ? $"database {database} is not encrypted" : $"no database {database} in {root}");
                    }

                    continue;
                }

                try
                {
                    DatabaseKeys.Rewrap(directory, current, next);
                }
                catch (EncryptionKeyException ex)
                {
                    throw new CliError($"{database}: {ex.Message}; {rewrapped} database(s) rewrapped before it");
                }

                rewrapped++;
                Console.WriteLine($"{database}: rewrapped (master key {current.FingerprintHex} -> {next.FingerprintHex})");
            }

            Console.WriteLine($"{rewrapped} database(s) rewrapped");
            return Task.FromResult(0);
        });
        return command;
    }
}
