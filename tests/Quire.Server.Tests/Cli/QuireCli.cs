using System.Diagnostics;

namespace Quire.Server.Tests.Cli;

/// <summary>The real <c>quire</c> binary run to its end (at most five minutes): exit code, standard output and standard error apart.</summary>
internal static class QuireCli
{
    public static (int Code, string Out, string Error) Run(params string[] args) => Start(new Dictionary<string, string>(), null, args);

    /// <summary>As <see cref="Run"/>, with these environment variables set.</summary>
    public static (int Code, string Out, string Error) RunWith(IReadOnlyDictionary<string, string> environment, params string[] args) => Start(environment, null, args);

    /// <summary>As <see cref="Run"/>, with <paramref name="input"/> on standard input.</summary>
    public static (int Code, string Out, string Error) RunWithInput(string input, params string[] args) => Start(new Dictionary<string, string>(), input, args);

    private static (int Code, string Out, string Error) Start(IReadOnlyDictionary<string, string> environment, string? input, string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = input is not null, UseShellExecute = false };
        start.ArgumentList.Add(ServerProcess.CliPath());
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["NO_COLOR"] = "1";
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        if (input is not null)
        {
            process.StandardInput.Write(input);
            process.StandardInput.Close();
        }

        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"quire {string.Join(' ', args)} did not finish in five minutes");
        }

        return (process.ExitCode, stdout.Result, stderr.Result);
    }
}
