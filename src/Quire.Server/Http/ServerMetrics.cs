using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Quire.Databases;

namespace Quire.Server.Http;

/// <summary>
/// What <c>/metrics</c> shows, in Prometheus' text format: requests by route and status,
/// and for each open database its commits, groups, queue depth and waits, fsyncs and
/// their latency, checkpoints with their pages and bytes; the live-query subscriptions open;
/// and the process' GC pauses.
/// </summary>
internal sealed class ServerMetrics
{
    private readonly ConcurrentDictionary<(string Route, int Status), long> _requests = new();

    public void Count(string route, int status) => _requests.AddOrUpdate((route, status), 1, (_, n) => n + 1);

    public string Render(IReadOnlyList<(string Name, DatabaseStats Stats)> databases, int subscriptions)
    {
        var text = new StringBuilder();
        text.AppendLine("# HELP quire_http_requests_total HTTP requests by route and status.");
        text.AppendLine("# TYPE quire_http_requests_total counter");
        foreach (var ((route, status), count) in _requests.OrderBy(r => r.Key.Route, StringComparer.Ordinal).ThenBy(r => r.Key.Status))
        {
            text.Append(CultureInfo.InvariantCulture, $"quire_http_requests_total{{route=\"{route}\",status=\"{status}\"}} {count}\n");
        }

        Gauge(text, "quire_open_databases", "Databases open now.", databases.Count);
        Gauge(text, "quire_subscriptions", "Live-query subscriptions open now.", subscriptions);
        Family(text, "quire_commits_total", "counter", "Commits sequenced.", databases, d => d.Commits);
        Family(text, "quire_groups_total", "counter", "Groups of commits (one log write each).", databases, d => d.Groups);
        Family(text, "quire_queue_depth", "gauge", "Commits waiting in the queue.", databases, d => d.QueueDepth);
        Family(text, "quire_queue_full_waits_total", "counter", "Commits that found the queue full and waited.", databases, d => d.QueueFullWaits);
        Family(text, "quire_fsyncs_total", "counter", "Log fsyncs.", databases, d => d.Syncs);
        Family(text, "quire_fsync_seconds_mean", "gauge", "Mean log fsync latency.", databases, d => d.MeanSyncLatency.TotalSeconds);
        Family(text, "quire_fsync_seconds_max", "gauge", "Longest log fsync.", databases, d => d.MaxSyncLatency.TotalSeconds);
        Family(text, "quire_checkpoints_total", "counter", "Checkpoints written.", databases, d => d.Checkpoints);
        Family(text, "quire_checkpoint_pages_total", "counter", "Pages written by checkpoints.", databases, d => d.CheckpointPages);
        Family(text, "quire_last_checkpoint_bytes", "gauge", "Bytes the last checkpoint wrote.", databases, d => d.LastCheckpointBytes);
        Family(text, "quire_seq", "gauge", "The last visible seq.", databases, d => d.Seq);
        Gauge(text, "quire_gc_pause_seconds_total", "Time the process spent paused for GC.", GC.GetTotalPauseDuration().TotalSeconds);
        return text.ToString();
    }

    private static void Gauge(StringBuilder text, string name, string help, double value)
    {
        text.Append(CultureInfo.InvariantCulture, $"# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}\n");
    }

    private static void Family(StringBuilder text, string name, string type, string help, IReadOnlyList<(string Name, DatabaseStats Stats)> databases, Func<DatabaseStats, double> value)
    {
        text.Append(CultureInfo.InvariantCulture, $"# HELP {name} {help}\n# TYPE {name} {type}\n");
        foreach (var (db, stats) in databases)
        {
            text.Append(CultureInfo.InvariantCulture, $"{name}{{db=\"{db}\"}} {value(stats)}\n");
        }
    }
}
