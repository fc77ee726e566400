using System.Diagnostics;

namespace Quire.Server.Tests;

/// <summary>Programs from Debian packages (redis-server, chromium), installed with apt by the tests that need them when they are missing.</summary>
internal static class DebianPackages
{
    private static readonly Lock Installing = new();

    /// <summary>The path of <paramref name="program"/> in /usr/bin, installing <paramref name="package"/> first if it is not there.</summary>
    public static string Ensure(string program, string package)
    {
        var path = $"/usr/bin/{program}";
        lock (Installing)
        {
            if (File.Exists(path))
            {
                return path;
            }

            var start = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true, RedirectStandardError = true };
            start.ArgumentList.Add("-c");
            start.ArgumentList.Add($"apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends {package}");
            using var apt = Process.Start(start)!;
            var stdout = apt.StandardOutput.ReadToEndAsync();
            var stderr = apt.StandardError.ReadToEndAsync();
            if (!apt.WaitForExit(TimeSpan.FromMinutes(10)))
            {
                apt.Kill(entireProcessTree: true);
                throw new TimeoutException($"installing {package} took more than ten minutes");
            }

            if (apt.ExitCode != 0 || !File.Exists(path))
            {
                throw new InvalidOperationException($"could not install {package} (needed by this test): {stdout.Result}{stderr.Result}");
            }

            return path;
        }
    }
}
