using System.Diagnostics;

namespace Quire.Server.Tests;

/// <summary>Another program run to its end: its exit code, standard output and standard error apart; killed past the time limit.</summary>
internal static class Programs
{
    /// <summary>Runs <paramref name="file"/> with <paramref name="args"/> (and <paramref name="input"/> on standard input, when given).</summary>
    public static (int Code, string Out, string Error) Run(
        string file, IEnumerable<string> args, string? input = null, IReadOnlyDictionary<string, string>? environment = null, string? directory = null, TimeSpan? timeout = null)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = input is not null, UseShellExecute = false };
        if (directory is not null)
        {
            start.WorkingDirectory = directory;
        }

        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
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
        var limit = timeout ?? TimeSpan.FromMinutes(5);
        if (!process.WaitForExit(limit))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', start.ArgumentList)} did not finish in {limit.TotalMinutes:F0} minutes");
        }

        return (process.ExitCode, stdout.Result, stderr.Result);
    }
}
