using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Quire.Storage.Engine;

/// <summary>
/// The engine's instruments, on the <c>Quire.Storage</c> meter (<see cref="System.Diagnostics.Metrics"/>):
/// whatever listens (an OpenTelemetry or prometheus-net exporter, <c>dotnet-counters monitor
/// --counters Quire.Storage</c>) sees them; nothing is recorded while nothing listens. Every
/// measurement carries the database as tag <c>db</c> (the name of its directory). Checkpoints
/// are also traced: an <see cref="Activity"/> named <c>checkpoint</c> on the
/// <c>Quire.Storage</c> activity source, with the pages and bytes it wrote.
/// </summary>
public static class EngineMeter
{
    /// <summary>The meter's name.</summary>
    public const string Name = "Quire.Storage";

    private static readonly Meter Meter = new(Name, "1.0");

    /// <summary>The engine's activity source (traces of checkpoints), named <see cref="Name"/>.</summary>
    public static readonly ActivitySource Activities = new(Name, "1.0");
    private static readonly ConcurrentDictionary<StorageEngine, KeyValuePair<string, object?>> Open = new();

    internal static readonly Histogram<double> CommitDuration = Meter.CreateHistogram<double>(
        "commit.seconds", "s", "Time from a commit's call to its acknowledgement (durable as its durability asks).");

    internal static readonly Histogram<int> GroupSize = Meter.CreateHistogram<int>(
        "group.size", "{commit}", "Commits written with one log write (and one fsync).");

    internal static readonly Histogram<double> FsyncDuration = Meter.CreateHistogram<double>(
        "fsync.seconds", "s", "Latency of the log's fdatasync.");

    internal static readonly Histogram<double> CheckpointDuration = Meter.CreateHistogram<double>(
        "checkpoint.seconds", "s", "Time a checkpoint took.");

    internal static readonly Counter<long> CheckpointPages = Meter.CreateCounter<long>(
        "checkpoint.pages", "{page}", "Node and value pages written by checkpoints.");

    static EngineMeter()
    {
        Meter.CreateObservableGauge("queue.depth", () => Each(e => e.QueueDepth), "{commit}", "Commits waiting in the queue.");
        Meter.CreateObservableGauge("seq", () => Each(e => e.LastSeq), "{op}", "The last visible seq.");
        Meter.CreateObservableGauge("cache.resident.bytes", () => Each(e => e.ResidentBytes), "By", "Bytes of node pages held in memory.");
        Meter.CreateObservableGauge("dirty.bytes", () => Each(e => e.DirtyBytes), "By", "Bytes of nodes no checkpoint has written yet.");
        Meter.CreateObservableCounter("page.loads", () => Each(e => e.PagesRead), "{page}", "Node pages read from the data file: cache misses.");
        Meter.CreateObservableCounter("commits", () => Each(e => e.Stats.Commits), "{commit}", "Commits processed, rejected ones included.");
        Meter.CreateObservableCounter("log.written.bytes", () => Each(e => e.LogBytesWritten), "By", "Bytes written to the log.");
        Meter.CreateObservableCounter("data.written.bytes", () => Each(e => e.DataBytesWritten), "By", "Bytes written to the data file by checkpoints.");
        Meter.CreateObservableCounter("evictions", () => Each(e => e.Stats.Evictions), "{page}", "Nodes evicted to stay within the memory budget.");
    }

    internal static void Opened(StorageEngine engine, string directory) =>
        Open[engine] = new KeyValuePair<string, object?>("db", Path.GetFileName(Path.TrimEndingDirectorySeparator(directory)));

    internal static void Closed(StorageEngine engine) => Open.TryRemove(engine, out _);

    internal static KeyValuePair<string, object?> Tag(StorageEngine engine) =>
        Open.TryGetValue(engine, out var tag) ? tag : new KeyValuePair<string, object?>("db", "");

    /// <summary>Seconds since a <see cref="Stopwatch.GetTimestamp"/> value.</summary>
    internal static double Since(long timestamp) => Stopwatch.GetElapsedTime(timestamp).TotalSeconds;

    private static IEnumerable<Measurement<long>> Each(Func<StorageEngine, long> value)
    {
        foreach (var (engine, tag) in Open)
        {
            yield return new Measurement<long>(value(engine), tag);
        }
    }
}
