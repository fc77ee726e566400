using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Quire.Databases;
using Quire.Storage.Engine;

namespace Quire.Server.Replication;

/// <summary>
/// A primary's replicas, by the id each gives: per database, the seq it has durable (its
/// acks) and a hold on the log from there, so checkpoints keep what it still needs while it
/// streams or reconnects. A replica not heard from for <see cref="Forget"/> is dropped with
/// its holds (it then needs a copy of the database to start again), and so is one whose hold
/// keeps more than the limit of log bytes: it is cut off, its stream ends, and it is told to
/// start again from a copy.
/// </summary>
internal sealed class ReplicaRegistry : IDisposable
{
    /// <summary>How long a silent replica's holds are kept.</summary>
    public static readonly TimeSpan Forget = TimeSpan.FromHours(1);

    private readonly ConcurrentDictionary<(string Replica, string Database), Entry> _entries = new();
    private readonly long _maxLogBytes;
    private readonly ILogger? _logger;
    private readonly Timer? _limiter;
    private TaskCompletionSource _acked = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>A registry whose replicas may hold at most <paramref name="maxLogBytes"/> of log each (checked every second).</summary>
    public ReplicaRegistry(long maxLogBytes = long.MaxValue, ILogger? logger = null)
    {
        _maxLogBytes = maxLogBytes;
        _logger = logger;
        if (maxLogBytes < long.MaxValue)
        {
            _limiter = new Timer(_ => EnforceLogLimit(), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
        }
    }

    /// <summary>A replica's place in one database.</summary>
    public sealed class Entry(Database db, LogHolds.Hold hold)
    {
        private readonly CancellationTokenSource _cut = new();

        public Database Db => db;

        public LogHolds.Hold Hold { get; } = hold;

        /// <summary>Whether the replica was cut off (it held too much log): it must start again from a copy.</summary>
        public bool IsCut => _cut.IsCancellationRequested;

        /// <summary>Cancelled when the replica is cut off: its stream ends.</summary>
        public CancellationToken CutToken => _cut.Token;

        /// <summary>Lets the log go and ends the stream.</summary>
        public void CutOff()
        {
            Hold.Dispose();
            _cut.Cancel();
        }

        /// <summary>The last seq handed to the replica's connection (-1: none yet).</summary>
        public long SentSeq = -1;

        /// <summary>The seq the replica last said it has durable (-1: none yet).</summary>
        public long AckedSeq { get; set; } = -1;

        /// <summary>Streams open now.</summary>
        public int Streams;

        public DateTime LastSeen { get; set; } = DateTime.UtcNow;
    }

    /// <summary>The replica's entry for <paramref name="db"/>, its hold moved to <paramref name="fromSeq"/> (made if new).</summary>
    public Entry Connect(string replica, Database db, long fromSeq)
    {
        Sweep();
        var entry = _entries.GetOrAdd((replica, db.Name), _ => new Entry(db, db.HoldLog(fromSeq)));
        if (!ReferenceEquals(entry.Db, db))
        {
            // The database was dropped and made again since: nothing of the old entry applies.
            Restart(replica, db, fromSeq);
            entry = _entries[(replica, db.Name)];
        }

        entry.Hold.MoveTo(fromSeq);
        entry.LastSeen = DateTime.UtcNow;
        return entry;
    }

    /// <summary>
    /// A replica starting again from a copy of <paramref name="db"/> whose log it needs from
    /// <paramref name="fromSeq"/>: a new entry holding the log from there, replacing any (a cut one too).
    /// </summary>
    public void Restart(string replica, Database db, long fromSeq)
    {
        var entry = new Entry(db, db.HoldLog(fromSeq));
        Entry? old = null;
        _entries.AddOrUpdate((replica, db.Name), entry, (_, existing) =>
        {
            old = existing;
            return entry;
        });
        old?.CutOff();
    }

    /// <summary>Cuts off every replica whose hold keeps more than the limit of log bytes.</summary>
    public void EnforceLogLimit()
    {
        foreach (var ((replica, database), entry) in _entries)
        {
            long held;
            try
            {
                held = entry.IsCut ? 0 : entry.Db.LogBytesFrom(entry.Hold.Seq);
            }
            catch (ObjectDisposedException)
            {
                continue;   // dropped, or replaced by a copy: its next stream connects afresh
            }

            if (held > _maxLogBytes)
            {
                entry.CutOff();
                _logger?.LogWarning(
                    "replication: replica {Replica} of {Database} holds {Bytes} bytes of log, more than the limit of {Limit}: cut off, it starts again from a copy",
                    replica, database, held, _maxLogBytes);
            }
        }
    }

    /// <summary>Records a replica's durable seq: the log before it is no longer needed for it.</summary>
    public bool Ack(string replica, string database, long seq)
    {
        if (!_entries.TryGetValue((replica, database), out var entry))
        {
            return false;
        }

        entry.AckedSeq = Math.Max(entry.AckedSeq, seq);
        entry.Hold.MoveTo(seq + 1);
        entry.LastSeen = DateTime.UtcNow;
        Interlocked.Exchange(ref _acked, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        return true;
    }

    /// <summary>How many replicas streaming <paramref name="database"/> have <paramref name="seq"/> durable.</summary>
    public int HaveDurable(string database, long seq) =>
        _entries.Count(e => e.Key.Database == database && Volatile.Read(ref e.Value.Streams) > 0 && e.Value.AckedSeq >= seq);

    /// <summary>Completes at the next ack from any replica.</summary>
    public Task NextAck => Volatile.Read(ref _acked).Task;

    /// <summary>How many replicas have a stream open now (any database).</summary>
    public int Connected => _entries.Where(e => Volatile.Read(ref e.Value.Streams) > 0).Select(e => e.Key.Replica).Distinct().Count();

    /// <summary>Every replica's place in every database: the seq last sent to it and the seq it has durable.</summary>
    public IEnumerable<(string Replica, string Database, long SentSeq, long AckedSeq)> All() =>
        _entries.Select(e => (e.Key.Replica, e.Key.Database, Interlocked.Read(ref e.Value.SentSeq), e.Value.AckedSeq));

    private void Sweep()
    {
        foreach (var (key, entry) in _entries)
        {
            if (Volatile.Read(ref entry.Streams) == 0 && DateTime.UtcNow - entry.LastSeen > Forget && _entries.TryRemove(key, out _))
            {
                entry.Hold.Dispose();
            }
        }
    }

    public void Dispose()
    {
        _limiter?.Dispose();
        foreach (var entry in _entries.Values)
        {
            entry.Hold.Dispose();
        }

        _entries.Clear();
    }
}
