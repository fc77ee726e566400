using System.Diagnostics.Metrics;
using System.Text.Json;

namespace Quire.Server.Replication;

/// <summary>
/// This server's place in replication, for <c>/health</c> and <c>/metrics</c>: a primary's
/// replicas (<see cref="ReplicaRegistry"/>), or a replica's primary and lag
/// (<see cref="ReplicaFollower"/>).
/// </summary>
internal sealed class ReplicationStatus(ReplicaRegistry registry, ReplicaFollower? follower, Service.QuireService service, SyncReplicas? sync, ReplicationEpoch epoch)
{
    private readonly Lock _gate = new();

    public ReplicaRegistry Registry => registry;


    /// <summary>This server's replication epoch.</summary>
    public ReplicationEpoch Epoch => epoch;

    /// <summary>
    /// Makes this replica a primary: its streams stop (every record received is applied
    /// first), then every database takes writes at the seq after the last one it applied.
    /// </summary>
    /// <exception cref="Service.ServiceException">This server is a primary already.</exception>
    public void Promote()
    {
        lock (_gate)
        {
            if (follower is not { } following)
            {
                throw new Service.ServiceException(Service.ServiceErrorKind.Conflict, "this server is a primary already");
            }

            following.Dispose();
            follower = null;
            epoch.Next();   // a new epoch: the replaced primary's streams are refused by whoever has seen this one
            service.Promote();
        }
    }

    /// <summary>The object-store archive, when the server archives (its status goes with replication's).</summary>
    public Archive.ArchiveService? Archive { get; init; }

    /// <summary>Adds <c>role</c> and, on a replica, <c>primary</c>, <c>lag_ops</c> and <c>lag_ms</c> (the most behind database's); on a primary <c>replicas</c> (connected now).</summary>
    public void WriteHealth(Utf8JsonWriter w)
    {
        Archive?.WriteHealth(w);
        if (follower is not { } following)
        {
            w.WriteString("role", "primary");
            w.WriteNumber("epoch", epoch.Value);
            w.WriteNumber("replicas", registry.Connected);
            w.WriteNumber("sync_replicas", sync?.Count ?? 0);
            return;
        }

        var states = following.States.Values.ToList();
        w.WriteString("role", "replica");
        w.WriteNumber("epoch", epoch.Value);
        w.WriteString("primary", following.Primary.ToString().TrimEnd('/'));
        w.WriteString("stream_protocol", following.StreamProtocol);
        w.WriteNumber("lag_ops", states.Count == 0 ? 0 : states.Max(s => s.LagOps));
        w.WriteNumber("lag_ms", states.Count == 0 ? 0 : states.Max(s => s.LagMs));
        if (following.Error is { } refused)
        {
            w.WriteString("replication_error", refused);
        }
        else if (states.FirstOrDefault(s => s.Error is not null) is { } failing)
        {
            w.WriteString("replication_error", $"{failing.Db.Name}: {failing.Error}");
        }

        if (states.FirstOrDefault(s => s.Diverged is not null) is { } diverged)
        {
            w.WriteString("replication_diverged", $"{diverged.Db.Name}: {diverged.Diverged}");
        }
    }

    /// <summary>
    /// The replication instruments on <paramref name="meter"/>: on a primary, replicas
    /// connected and each one's sent and acknowledged seq; on a replica, per database its lag
    /// in ops and in time, and how often it was made from a copy.
    /// </summary>
    public void CreateInstruments(Meter meter)
    {
        Archive?.CreateInstruments(meter);
        if (follower is not { } following)
        {
            meter.CreateObservableGauge("replicas.connected", () => registry.Connected, "{replica}", "Replicas streaming from this primary.");
            meter.CreateObservableGauge("replica.sent.seq", () => Replicas(r => r.Sent), "{op}", "The last seq sent to a replica.");
            meter.CreateObservableGauge("replica.acked.seq", () => Replicas(r => r.Acked), "{op}", "The last seq a replica said it has durable.");
            return;
        }

        meter.CreateObservableGauge("replica.lag", () => Following(following, s => s.LagOps), "{op}", "Ops the primary has that this replica has not applied.");
        meter.CreateObservableGauge("replica.lag.ms", () => Following(following, s => s.LagMs), "ms", "How long this replica has been behind its primary.");
        meter.CreateObservableCounter("replica.copies", () => Following(following, s => (long)s.Copies), "{copy}", "Times this replica's database was made from a copy of the primary's.");
        meter.CreateObservableCounter("replica.archive.bootstraps", () => Following(following, s => (long)s.ArchiveBootstraps), "{copy}", "Times this replica's database was made from the primary's archive in the bucket.");
    }

    private IEnumerable<Measurement<long>> Replicas(Func<(long Sent, long Acked), long> value) =>
        registry.All().Select(r => new Measurement<long>(
            value((r.SentSeq, r.AckedSeq)), new KeyValuePair<string, object?>("replica", r.Replica), new KeyValuePair<string, object?>("db", r.Database)));

    private static IEnumerable<Measurement<long>> Following(ReplicaFollower following, Func<ReplicaState, long> value) =>
        following.States.Select(s => new Measurement<long>(value(s.Value), new KeyValuePair<string, object?>("db", s.Key)));

    /// <summary>This replica's id: made once, kept in the data directory, so the primary knows it again after a restart.</summary>
    public static string ReplicaId(string dataRoot)
    {
        var path = Path.Combine(dataRoot, ".replica-id");
        if (File.Exists(path) && File.ReadAllText(path).Trim() is { Length: > 0 } existing)
        {
            return existing;
        }

        Directory.CreateDirectory(dataRoot);
        var id = Guid.NewGuid().ToString("N");
        File.WriteAllText(path, id);
        return id;
    }
}
