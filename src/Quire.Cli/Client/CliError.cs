namespace Quire.Cli.Client;

/// <summary>A command that cannot do what it was asked: its message is printed as one line, and the process exits with <see cref="ExitCode"/> (1 failed, 2 usage).</summary>
internal sealed class CliError(string message, int exitCode = 1) : Exception(message)
{
    public int ExitCode { get; } = exitCode;

    /// <summary>The HTTP status, when the server refused a request.</summary>
    public int? Status { get; init; }

    /// <summary>The server's <c>error</c>, when it refused a request.</summary>
    public string? Reason { get; init; }
}
