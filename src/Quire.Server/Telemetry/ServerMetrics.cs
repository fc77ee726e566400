using System.Diagnostics.Metrics;
using Prometheus;
using Quire.Server.Service;
using Quire.Storage.Engine;

namespace Quire.Server.Telemetry;

/// <summary>
/// The server's instruments on a <c>Quire.Server</c> meter (requests by route and status
/// with their latency, open databases, subscriptions, replication), and <c>/metrics</c>:
/// those, the engine's (<see cref="EngineMeter"/>) and the runtime's (<c>System.Runtime</c>)
/// exported in Prometheus' text format by prometheus-net's adapter for
/// <see cref="System.Diagnostics.Metrics"/>. A metric's name is its meter's and its
/// instrument's, dots made underscores: <c>fsync.seconds</c> of <c>Quire.Storage</c> is
/// <c>quire_storage_fsync_seconds</c> (docs/metrics.md lists them).
/// </summary>
internal sealed class ServerMetrics : IDisposable
{
    /// <summary>The server meter's name.</summary>
    public const string MeterName = "Quire.Server";

    // Seconds from 50 µs to about 26 s (fsyncs, commits, requests, checkpoints); counts from 1 to 4096 (group sizes).
    private static readonly double[] SecondsBuckets = Histogram.ExponentialBuckets(0.00005, 2, 20);
    private static readonly double[] CountBuckets = Histogram.ExponentialBuckets(1, 2, 13);

    private readonly Meter _meter = new(MeterName, "1.0");
    private readonly Histogram<double> _requests;
    private readonly CollectorRegistry _registry = Metrics.NewCustomRegistry();
    private readonly IDisposable _adapter;

    public ServerMetrics(QuireService service, Func<int> subscriptions, Replication.ReplicationStatus replication)
    {
        _requests = _meter.CreateHistogram<double>("http.request.seconds", "s", "HTTP requests by route and status, and how long they took.");
        _meter.CreateObservableGauge("databases.open", () => service.OpenDatabaseStats().Count, "{database}", "Databases open now.");
        _meter.CreateObservableGauge("subscriptions", subscriptions, "{subscription}", "Live-query subscriptions open now.");
        replication.CreateInstruments(_meter);

        // This server's meter, not another server's in the same process; every engine's.
        _adapter = MeterAdapter.StartListening(new MeterAdapterOptions
        {
            Registry = _registry,
            MetricFactory = Metrics.WithCustomRegistry(_registry),
            InstrumentFilterPredicate = instrument => instrument.Meter == _meter || instrument.Meter.Name is EngineMeter.Name or "System.Runtime",
            ResolveHistogramBuckets = instrument => instrument.Unit == "s" ? SecondsBuckets : CountBuckets,
            MetricsExpireAfter = TimeSpan.FromHours(1),
        });
    }

    /// <summary>Records a request's route, status and duration.</summary>
    public void Count(string route, int status, TimeSpan duration) =>
        _requests.Record(duration.TotalSeconds, new KeyValuePair<string, object?>("route", route), new KeyValuePair<string, object?>("status", status));

    /// <summary>Writes every metric in Prometheus' text format.</summary>
    public Task WriteAsync(Stream destination, CancellationToken cancellationToken) =>
        _registry.CollectAndExportAsTextAsync(destination, cancellationToken);

    public void Dispose()
    {
        _adapter.Dispose();
        _meter.Dispose();
    }
}
