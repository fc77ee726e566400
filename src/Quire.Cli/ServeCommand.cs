using System.CommandLine;
using System.Globalization;
using Quire.Server;

namespace Quire.Cli;

/// <summary>
/// <c>quire serve</c>: nedbd's flags and environment variables (a flag overrides its
/// variable), plus Quire's own. Runs until SIGINT or SIGTERM.
/// </summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var defaults = new ServerOptions();
        var host = new Option<string>("--host") { Description = "Address to listen on (env NEDBD_HOST)", DefaultValueFactory = _ => Env("NEDBD_HOST") ?? defaults.Host };
        var port = new Option<int>("--port") { Description = "HTTP/1.1 port (env NEDBD_PORT)", DefaultValueFactory = _ => EnvInt("NEDBD_PORT") ?? defaults.Port };
        var data = new Option<string>("--data") { Description = "Directory of the databases (env NEDBD_DATA)", DefaultValueFactory = _ => Env("NEDBD_DATA") ?? defaults.DataRoot };
        var token = new Option<string?>("--token") { Description = "Bearer token every /v1 route needs (env NEDBD_TOKEN)", DefaultValueFactory = _ => Env("NEDBD_TOKEN") };
        var resp2 = new Option<int>("--resp2-port") { Description = "Redis protocol port (env NEDBD_RESP2_PORT); not supported yet, must be 0", DefaultValueFactory = _ => EnvInt("NEDBD_RESP2_PORT") ?? 0 };
        var h2c = new Option<int>("--h2c-port") { Description = "HTTP/2 cleartext port, 0 disables", DefaultValueFactory = _ => defaults.H2cPort };
        var maxBody = new Option<long>("--max-body-bytes") { Description = "Largest request body (413 beyond)", DefaultValueFactory = _ => defaults.MaxBodyBytes };
        var queueWait = new Option<int>("--queue-wait-ms") { Description = "How long a write waits for room in a full commit queue before 429 (0: at once)", DefaultValueFactory = _ => (int)defaults.QueueWait.TotalMilliseconds };
        var maxQueued = new Option<int>("--max-queued-commits") { Description = "Commits a database's queue holds before writes wait", DefaultValueFactory = _ => defaults.Databases.Storage.MaxQueuedCommits };
        var command = new Command("serve", "Run the nedbd-compatible HTTP server.") { host, port, data, token, resp2, h2c, maxBody, queueWait, maxQueued };
        command.SetAction(async (result, cancellation) =>
        {
            if (result.GetValue(resp2) != 0)
            {
                await Console.Error.WriteLineAsync("quire serve: --resp2-port is not supported yet (Quire does not speak RESP yet); leave it 0").ConfigureAwait(false);
                return 2;
            }

            var options = new ServerOptions
            {
                Host = result.GetValue(host)!,
                Port = result.GetValue(port),
                DataRoot = result.GetValue(data)!,
                Token = result.GetValue(token),
                H2cPort = result.GetValue(h2c),
                MaxBodyBytes = result.GetValue(maxBody),
                QueueWait = TimeSpan.FromMilliseconds(Math.Max(0, result.GetValue(queueWait))),
                Databases = defaults.Databases with { Storage = defaults.Databases.Storage with { MaxQueuedCommits = Math.Max(1, result.GetValue(maxQueued)) } },
            };
            Console.WriteLine($"quire serve: http://{options.Host}:{options.Port} (HTTP/1.1){(options.H2cPort != 0 ? $", h2c on {options.H2cPort}" : "")}, data in {Path.GetFullPath(options.DataRoot)}");
            await QuireServer.RunAsync(options, cancellation).ConfigureAwait(false);
            return 0;
        });
        return command;
    }

    private static string? Env(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : null;

    private static int? EnvInt(string name) => Env(name) is { } value && int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : null;
}
