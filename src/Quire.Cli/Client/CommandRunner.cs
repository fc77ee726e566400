using System.CommandLine;

namespace Quire.Cli.Client;

/// <summary>
/// Runs a command's body with the exit codes every command shares: 0 done, 1 failed (a
/// refused request, a failed check), 2 usage; a <see cref="CliError"/> is one line on standard
/// error, prefixed with the command's name, never a stack trace.
/// </summary>
internal static class CommandRunner
{
    public static void SetAction(Command command, Func<ParseResult, CancellationToken, Task<int>> body) =>
        command.SetAction(async (result, cancellation) =>
        {
            try
            {
                return await body(result, cancellation).ConfigureAwait(false);
            }
            catch (CliError error)
            {
                await Console.Error.WriteLineAsync($"quire {command.Name}: {error.Message}").ConfigureAwait(false);
                return error.ExitCode;
            }
            catch (HttpRequestException error)
            {
                await Console.Error.WriteLineAsync($"quire {command.Name}: cannot reach the server: {error.Message}").ConfigureAwait(false);
                return 1;
            }
            catch (System.Text.Json.JsonException error)
            {
                await Console.Error.WriteLineAsync($"quire {command.Name}: not JSON: {error.Message}").ConfigureAwait(false);
                return 1;
            }
            catch (IOException error)
            {
                await Console.Error.WriteLineAsync($"quire {command.Name}: {error.Message}").ConfigureAwait(false);
                return 1;
            }
        });
}
