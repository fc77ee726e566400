namespace Quire.Server.Tests.Resp;

/// <summary>Debian's redis-tools (redis-cli, redis-benchmark) and redis-server, installed by the tests that need them when they are missing.</summary>
internal static class RedisTools
{
    private static readonly Lazy<string> CliPath = new(() => DebianPackages.Ensure("redis-cli", "redis-tools"));

    private static readonly Lazy<string> ServerPath = new(() => DebianPackages.Ensure("redis-server", "redis-server"));

    public static string Cli => CliPath.Value;

    /// <summary>Debian's redis-server, the reference the differential test compares with.</summary>
    public static string Server => ServerPath.Value;

    /// <summary>Runs a program to its end (at most two minutes); its exit code and everything it printed.</summary>
    public static (int Code, string Output) Run(string program, params string[] args)
    {
        var (code, stdout, stderr) = Programs.Run(program, args, timeout: TimeSpan.FromMinutes(2));
        return (code, stdout + stderr);
    }
}
