// The `quire` command: `quire serve` runs the nedbd-compatible server (docs/http.md);
// `quire promote` makes a running replica a primary (docs/replication.md).
using System.CommandLine;
using Quire.Cli;

var root = new RootCommand("Quire: a document database for write-heavy services.");
root.Subcommands.Add(ServeCommand.Create());
root.Subcommands.Add(PromoteCommand.Create());
return await root.Parse(args).InvokeAsync();
