using System.Globalization;
using System.Text;
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

    /// <summary>Adds <c>role</c> and, on a replica, <c>primary</c>, <c>lag_ops</c> and <c>lag_ms</c> (the most behind database's); on a primary <c>replicas</c> (connected now).</summary>
    public void WriteHealth(Utf8JsonWriter w)
    {
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

    /// <summary>Per database: a replica's <c>quire_replica_lag_ops</c>, <c>quire_replica_copies</c> and <c>quire_replica_lag_ms</c>; a primary's <c>quire_replicas_connected</c>, and per replica and database <c>quire_replica_sent_seq</c> and <c>quire_replica_acked_seq</c>.</summary>
    public void WriteMetrics(StringBuilder text)
    {
        if (follower is not { } following)
        {
            text.Append("# HELP quire_replicas_connected Replicas streaming from this primary.\n# TYPE quire_replicas_connected gauge\n");
            text.Append(CultureInfo.InvariantCulture, $"quire_replicas_connected {registry.Connected}\n");
            var replicas = registry.All().ToList();
            text.Append("# HELP quire_replica_sent_seq The last seq sent to a replica.\n# TYPE quire_replica_sent_seq gauge\n");
            foreach (var (replica, database, sent, _) in replicas)
            {
                text.Append(CultureInfo.InvariantCulture, $"quire_replica_sent_seq{{replica=\"{replica}\",db=\"{database}\"}} {sent}\n");
            }

            text.Append("# HELP quire_replica_acked_seq The last seq a replica said it has durable.\n# TYPE quire_replica_acked_seq gauge\n");
            foreach (var (replica, database, _, acked) in replicas)
            {
                text.Append(CultureInfo.InvariantCulture, $"quire_replica_acked_seq{{replica=\"{replica}\",db=\"{database}\"}} {acked}\n");
            }

            return;
        }

        text.Append("# HELP quire_replica_lag_ops Ops the primary has that this replica has not applied.\n# TYPE quire_replica_lag_ops gauge\n");
        foreach (var (name, state) in following.States)
        {
            text.Append(CultureInfo.InvariantCulture, $"quire_replica_lag_ops{{db=\"{name}\"}} {state.LagOps}\n");
        }

        text.Append("# HELP quire_replica_copies Times this replica's database was made from a copy of the primary's.\n# TYPE quire_replica_copies counter\n");
        foreach (var (name, state) in following.States)
        {
            text.Append(CultureInfo.InvariantCulture, $"quire_replica_copies{{db=\"{name}\"}} {state.Copies}\n");
        }

        text.Append("# HELP quire_replica_lag_ms How long this replica has been behind its primary.\n# TYPE quire_replica_lag_ms gauge\n");
        foreach (var (name, state) in following.States)
        {
            text.Append(CultureInfo.InvariantCulture, $"quire_replica_lag_ms{{db=\"{name}\"}} {state.LagMs}\n");
        }
    }

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
