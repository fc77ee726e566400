using System.Globalization;
using System.Net;
using Quire.Server;

namespace Quire.Cli;

/// <summary>
/// What <c>quire serve</c> refuses before it starts anything: ports that are not ports or
/// that two listeners share, a host that is not an address, sizes below one, and environment
/// variables whose values are not numbers (an ignored variable is a surprise later).
/// </summary>
internal static class ServeOptionsCheck
{
    private static readonly List<string> EnvironmentProblems = [];

    /// <summary>The whole number in environment variable <paramref name="name"/>; a value that is not one is reported by <see cref="Problem"/>.</summary>
    public static int? EnvInt(string name) =>
        Env<int>(name, "a whole number", text => int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : null);

    /// <summary>The number in environment variable <paramref name="name"/>, as <see cref="EnvInt"/>.</summary>
    public static double? EnvDouble(string name) =>
        Env<double>(name, "a number", text => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) ? n : null);

    private static T? Env<T>(string name, string what, Func<string, T?> parse)
        where T : struct
    {
        if (Environment.GetEnvironmentVariable(name) is not { Length: > 0 } value)
        {
            return null;
        }

        if (parse(value) is { } parsed)
        {
            return parsed;
        }

        EnvironmentProblems.Add($"{name}={value} is not {what}");
        return null;
    }

    /// <summary>The first thing wrong with <paramref name="options"/>, or null.</summary>
    public static string? Problem(ServerOptions options)
    {
        if (EnvironmentProblems.Count > 0)
        {
            return EnvironmentProblems[0];
        }

        if (options.Port is < 1 or > 65535)
        {
            return $"--port {options.Port} is not a port (1 to 65535)";
        }

        (string Flag, int Port)[] listeners = [("--port", options.Port), ("--h2c-port", options.H2cPort), ("--resp2-port", options.Resp2Port), ("--tls-port", options.TlsPort)];
        foreach (var (flag, port) in listeners)
        {
            if (port is < 0 or > 65535)
            {
                return $"{flag} {port} is not a port (1 to 65535, or 0 for none)";
            }
        }

        var shared = listeners.Where(l => l.Port != 0).GroupBy(l => l.Port).FirstOrDefault(g => g.Count() > 1);
        if (shared is not null)
        {
            return $"{string.Join(" and ", shared.Select(l => l.Flag))} are all port {shared.Key}: each listener needs its own";
        }

        if (options.Host != "localhost" && !IPAddress.TryParse(options.Host, out _))
        {
            return $"--host {options.Host} is not an IP address (or localhost)";
        }

        if (options.MaxDatabases < 1)
        {
            return $"--max-databases {options.MaxDatabases} must be at least 1";
        }

        if (options.MaxBodyBytes < 1)
        {
            return $"--max-body-bytes {options.MaxBodyBytes} must be at least 1";
        }

        if (options.MaxResponseBytes < 1024)
        {
            return $"--max-response-bytes {options.MaxResponseBytes} must be at least 1024";
        }

        if (options.Archive is { } archive)
        {
            try
            {
                _ = Quire.Replication.ObjectStore.S3Location.Parse(archive);
            }
            catch (FormatException ex)
            {
                return $"--archive: {ex.Message}";
            }

            if (options.ReplicaOf is not null)
            {
                return "--archive is for a primary: a replica's databases are its primary's, archived there";
            }
        }

        if (options.BootstrapFrom is { } from)
        {
            try
            {
                _ = Quire.Replication.ObjectStore.S3Location.Parse(from);
            }
            catch (FormatException ex)
            {
                return $"--bootstrap-from: {ex.Message}";
            }

            if (options.ReplicaOf is null)
            {
                return "--bootstrap-from is for a replica (with --replica-of): it makes the replica's databases from its primary's archive";
            }
        }

        if (options.ArchiveInterval <= TimeSpan.Zero)
        {
            return $"--archive-interval-ms {(long)options.ArchiveInterval.TotalMilliseconds} must be at least 1";
        }

        if (options.QueryTimeout < TimeSpan.Zero)
        {
            return $"--query-timeout-ms {(long)options.QueryTimeout.TotalMilliseconds} must be at least 0 (0: no limit)";
        }

        return null;
    }
}
