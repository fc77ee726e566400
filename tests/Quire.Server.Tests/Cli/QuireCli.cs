namespace Quire.Server.Tests.Cli;

/// <summary>The real <c>quire</c> binary run to its end (at most five minutes): exit code, standard output and standard error apart.</summary>
internal static class QuireCli
{
    public static (int Code, string Out, string Error) Run(params string[] args) => Start(new Dictionary<string, string>(), null, args);

    /// <summary>As <see cref="Run"/>, with these environment variables set.</summary>
    public static (int Code, string Out, string Error) RunWith(IReadOnlyDictionary<string, string> environment, params string[] args) => Start(environment, null, args);

    /// <summary>As <see cref="Run"/>, with <paramref name="input"/> on standard input.</summary>
    public static (int Code, string Out, string Error) RunWithInput(string input, params string[] args) => Start(new Dictionary<string, string>(), input, args);

    private static (int Code, string Out, string Error) Start(IReadOnlyDictionary<string, string> environment, string? input, string[] args) =>
        Programs.Run("dotnet", [ServerProcess.CliPath(), .. args], input, new Dictionary<string, string>(environment) { ["NO_COLOR"] = "1" });
}
