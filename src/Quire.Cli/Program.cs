// The `quire` command: `quire serve` runs the nedbd-compatible server (docs/http.md);
// `quire promote` makes a running replica a primary (docs/replication.md); the rest look at,
// load, export and back up a running server's databases (docs/cli.md); `quire rewrap`
// rotates the master key of encrypted databases (docs/encryption.md).
using System.CommandLine;
using Quire.Cli;
using Quire.Cli.Import;
using Quire.Cli.Keys;

var root = new RootCommand("Quire: a document database for write-heavy services.");
root.Subcommands.Add(ServeCommand.Create());
root.Subcommands.Add(PromoteCommand.Create());
root.Subcommands.Add(ImportCommand.Create());
root.Subcommands.Add(ExportCommand.Create());
root.Subcommands.Add(RewrapCommand.Create());
root.Subcommands.Add(EncryptCommand.Create());
root.Subcommands.Add(MigrateCommand.Create());
root.Subcommands.Add(Quire.Cli.Shell.ShellCommand.Create());
foreach (var command in InspectCommands.Create().Concat(BackupCommands.Create()))
{
    root.Subcommands.Add(command);
}

var parsed = root.Parse(args);
if (parsed.Errors.Count > 0)
{
    // A usage mistake: say it, and exit 2 (1 is a command that ran and failed).
    foreach (var error in parsed.Errors)
    {
        await Console.Error.WriteLineAsync($"quire: {error.Message}");
    }

    await Console.Error.WriteLineAsync("quire --help lists the commands; quire <command> --help their arguments");
    return 2;
}

return await parsed.InvokeAsync();
