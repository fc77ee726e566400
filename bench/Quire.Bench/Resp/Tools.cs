using System.Diagnostics;

namespace Quire.Bench.Resp;

/// <summary>Runs an external program (redis-benchmark) to its end.</summary>
internal static class Tools
{
    public static (int Code, string Output) Run(string program, string[] args, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException($"{program} is not installed ({ex.Message}): apt-get install redis-tools", ex);
        }

        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(timeout))
            {
                process.Kill(entireProcessTree: true);
                throw new InvalidOperationException($"{program} did not finish in {timeout.TotalMinutes} minutes");
            }

            return (process.ExitCode, stdout.Result + stderr.Result);
        }
    }
}
