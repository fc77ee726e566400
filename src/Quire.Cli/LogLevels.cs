using Microsoft.Extensions.Logging;

namespace Quire.Cli;

/// <summary>
/// <c>--log-level</c>: nedbd's integers (0 errors only, 1 each request, 2 also database
/// creation steps, 3 everything) or a .NET level name (Warning, Information, ...).
/// </summary>
internal static class LogLevels
{
    /// <summary>The level <paramref name="text"/> names, or null when it names none.</summary>
    public static LogLevel? Parse(string text) => text.Trim() switch
    {
        "0" => LogLevel.Error,
        "1" => LogLevel.Information,
        "2" => LogLevel.Debug,
        "3" => LogLevel.Trace,
        var name when Enum.TryParse<LogLevel>(name, ignoreCase: true, out var level) && Enum.IsDefined(level) && !int.TryParse(name, out _) => level,
        _ => null,
    };
}
