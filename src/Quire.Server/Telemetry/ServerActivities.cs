using System.Diagnostics;

namespace Quire.Server.Telemetry;

/// <summary>
/// Traces of requests: an <see cref="Activity"/> per HTTP request on the <c>Quire.Server</c>
/// activity source (OpenTelemetry's <c>AddSource("Quire.Server")</c> collects them), a child of
/// ASP.NET Core's own when that one is traced, so a caller's <c>traceparent</c> carries through.
/// Tagged with the method, the route (never a database or document name, as in the logs) and the
/// status; nothing is made while nothing listens.
/// </summary>
internal static class ServerActivities
{
    public static readonly ActivitySource Source = new(ServerMetrics.MeterName, "1.0");
}
