using Quire.Server.Service;

namespace Quire.Server.Http;

/// <summary>Paths: their segments, their names for metrics, and the answer for a path no route serves.</summary>
internal static class HttpRoutes
{
    /// <summary>The path's non-empty segments, percent-decoded.</summary>
    public static string[] Split(string? path) =>
        (path ?? "/").Split('/', StringSplitOptions.RemoveEmptyEntries).Select(Uri.UnescapeDataString).ToArray();

    /// <summary>404 <c>no such route</c>.</summary>
    public static ServiceException NoSuchRoute() => ServiceException.NotFound("no such route");

    /// <summary>The route's name for metrics: its fixed part, never a database or document name.</summary>
    public static string Name(string? path)
    {
        var parts = (path ?? "/").Split('/', StringSplitOptions.RemoveEmptyEntries);
        return parts switch
        {
            [] => "health",
            [var only] when only is "health" or "ready" or "metrics" or "events" or "ui" => only,
            ["ui", ..] => "ui",
            ["v1", "databases"] => "databases",
            ["v1", "databases", _] => "database",
            ["v1", "databases", _, var action, ..] when Actions.Contains(action) => action,
            _ => "unknown",
        };
    }

    private static readonly HashSet<string> Actions =
    [
        "query", "explain", "put", "batch", "index", "link", "rows", "docs", "export", "verify", "log", "checkpoint", "sweep", "neighbors", "proof", "mongo", "files", "tip", "collections", "since", "status", "changes", "subscribe", "replication",
    ];
}
