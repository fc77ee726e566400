using Quire.Databases;

namespace Quire.Server.Replication;

/// <summary>
/// How far one replicated database is behind its primary: the primary's last seq (from
/// heartbeats), the ops not applied yet, and for how long the replica has not been caught up.
/// </summary>
internal sealed class ReplicaState(Database db)
{
    private long _primarySeq = -1;
    private long _caughtUpTicks = DateTime.UtcNow.Ticks;
    private Database _db = db;

    /// <summary>The replica's database; replaced when it is made again from a copy of the primary's.</summary>
    public Database Db
    {
        get => Volatile.Read(ref _db);
        set => Volatile.Write(ref _db, value);
    }

    /// <summary>Whether the database must be made again from a copy of the primary's before its log is followed.</summary>
    public bool NeedsCopy { get; set; } = db.Seq < 0;

    /// <summary>How many times the database was made from a copy of the primary's.</summary>
    public int Copies { get; set; }

    /// <summary>How many times the database was made from the primary's archive in the bucket (<c>--bootstrap-from</c>).</summary>
    public int ArchiveBootstraps { get; set; }

    /// <summary>Whether making it from the archive was tried: once; when the primary's log does not reach back to the archive's end, the primary's copy it is.</summary>
    public bool TriedArchive { get; set; }

    /// <summary>What became of ops this database held that the primary never had (the file they were kept in), or null.</summary>
    public string? Diverged { get; set; }

    /// <summary>Why the stream is not running now, or null.</summary>
    public string? Error { get; set; }

    /// <summary>The primary's last seq as last heard.</summary>
    public long PrimarySeq => Interlocked.Read(ref _primarySeq);

    /// <summary>Ops the primary has that this replica has not applied.</summary>
    public long LagOps => Math.Max(0, PrimarySeq - Db.Seq);

    /// <summary>How long the replica has been behind (0 when caught up).</summary>
    public long LagMs => LagOps == 0 ? 0 : (long)(DateTime.UtcNow - new DateTime(Interlocked.Read(ref _caughtUpTicks), DateTimeKind.Utc)).TotalMilliseconds;

    public void Heartbeat(long primarySeq)
    {
        Interlocked.Exchange(ref _primarySeq, Math.Max(PrimarySeq, primarySeq));
        if (Db.Seq >= primarySeq)
        {
            Interlocked.Exchange(ref _caughtUpTicks, DateTime.UtcNow.Ticks);
        }
    }

    public void Received(long lastSeq)
    {
        if (Db.Seq >= PrimarySeq)
        {
            Interlocked.Exchange(ref _caughtUpTicks, DateTime.UtcNow.Ticks);   // caught up until this record: the lag starts now
        }

        Interlocked.Exchange(ref _primarySeq, Math.Max(PrimarySeq, lastSeq));
    }
}
