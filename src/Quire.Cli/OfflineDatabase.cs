using System.CommandLine;
using Quire.Cli.Client;
using Quire.Databases;
using Quire.Storage.Engine;
using Quire.Storage.IO;

namespace Quire.Cli;

/// <summary>
/// A database opened straight from a data directory that no server holds (<c>--data</c>), for
/// the commands that can work without one (<c>verify</c>, <c>stats</c>). Opening it replays
/// its log, and closing it writes a checkpoint, as a server would.
/// </summary>
internal sealed class OfflineDatabase : IDisposable
{
    private readonly DatabaseCatalog _catalog;

    private OfflineDatabase(DatabaseCatalog catalog, Database database)
    {
        _catalog = catalog;
        Database = database;
    }

    public Database Database { get; }

    /// <summary>The options: <c>--data</c>, and the master key for an encrypted database.</summary>
    internal sealed record Options(Option<string?> Data, Option<string?> KeyFile)
    {
        public static Options AddTo(Command command)
        {
            var options = new Options(
                new Option<string?>("--data") { Description = "Work on this data directory directly (no server may hold it) instead of asking a server" },
                Keys.MasterKeyOptions.KeyFile("With --data: the master key of an encrypted database (env NEDB_TMK_FILE, or the key itself in NEDB_TMK)"));
            command.Options.Add(options.Data);
            command.Options.Add(options.KeyFile);
            return options;
        }

        /// <summary>The database, opened from <c>--data</c>; null when <c>--data</c> was not given (ask the server).</summary>
        public OfflineDatabase? Open(ParseResult result, string name)
        {
            if (result.GetValue(Data) is not { } root)
            {
                return null;
            }

            if (!Directory.Exists(root))
            {
                throw new CliError($"the data directory {root} does not exist", exitCode: 2);
            }

            var catalog = DatabaseCatalog.Open(root, new DatabaseOptions { Storage = new StorageOptions { MasterKey = Keys.MasterKeyOptions.Resolve(result.GetValue(KeyFile)) } });
            try
            {
                return new OfflineDatabase(catalog, catalog.Get(name));
            }
            catch (DatabaseLockedException)
            {
                catalog.Dispose();
                throw new CliError($"{name} is open in a running server: ask it (--url) or stop it first");
            }
            catch (Exception ex) when (ex is DatabaseNotFoundException or Documents.InvalidNameException or Storage.Crypto.EncryptionKeyException)
            {
                catalog.Dispose();
                throw new CliError(ex.Message);
            }
            catch
            {
                catalog.Dispose();
                throw;
            }
        }
    }

    public void Dispose() => _catalog.Dispose();
}
