namespace Quire.Migration;

/// <summary>What <see cref="NedbdMigration"/> moved, what it could not, and what the check of the result found.</summary>
public sealed class NedbdMigrationReport
{
    internal NedbdMigrationReport(string database)
    {
        Database = database;
    }

    /// <summary>The database's name (its directory's, in both systems).</summary>
    public string Database { get; }

    /// <summary>Whether the nedbd database was encrypted (the Quire one is when a master key was given).</summary>
    public bool Encrypted { get; internal set; }

    /// <summary>The log records read.</summary>
    public long Records { get; internal set; }

    /// <summary>The seq of the last record read, or -1 for an empty log.</summary>
    public long LastSeq { get; internal set; } = -1;

    /// <summary>nedbd's chain head: the last record's hash.</summary>
    public string NedbdHead { get; internal set; } = "";

    /// <summary>The Quire database's chain head after the migration (Quire's chain is its own).</summary>
    public string QuireHead { get; internal set; } = "";

    /// <summary>Puts and deletes carried, each at its nedbd seq.</summary>
    public long DocumentOps { get; internal set; }

    /// <summary>Links and unlinks carried.</summary>
    public long LinkOps { get; internal set; }

    /// <summary>File versions carried, with content checked against nedbd's Merkle root.</summary>
    public long FileVersions { get; internal set; }

    /// <summary>Checkpoint markers, kept as placeholders so later seqs stay the same.</summary>
    public long Checkpoints { get; internal set; }

    /// <summary>The index definitions created (the union of <c>meta.json</c> and the snapshot's).</summary>
    public List<string> Indexes { get; } = [];

    /// <summary>Documents live in nedbd whose TTL has passed: they read as absent, and the sweep deletes them.</summary>
    public long ExpiredDocuments { get; internal set; }

    /// <summary>Records whose chain hash did not check out in nedbd's own log (seq and line, the first 100).</summary>
    public List<(long Seq, int Line)> ChainBreaks { get; } = [];

    /// <summary>How many records failed nedbd's chain check.</summary>
    public long ChainBreakCount { get; internal set; }

    /// <summary>Where reading the log stopped early (line and reason), as nedbd's own replay stops; null when all was read.</summary>
    public string? StoppedEarly { get; internal set; }

    /// <summary>Ops that could not be carried: their seq, op and why. Each keeps its seq as a placeholder.</summary>
    public List<NotCarried> NotCarried { get; } = [];

    /// <summary>Differences the check of the result found between nedbd's state and Quire's (the first 100).</summary>
    public List<string> Mismatches { get; } = [];

    /// <summary>True when the result checked out: Quire's chain verifies and every document, link and index matches nedbd's.</summary>
    public bool Verified => Mismatches.Count == 0 && QuireHead.Length > 0;

    internal void Mismatch(string what)
    {
        if (Mismatches.Count < 100)
        {
            Mismatches.Add(what);
        }
    }
}

/// <summary>An op the migration could not carry.</summary>
/// <param name="Seq">Its nedbd seq (the Quire seq it kept as a placeholder).</param>
/// <param name="Line">Its line in <c>log.aof</c>.</param>
/// <param name="Op">nedbd's name for it.</param>
/// <param name="Reason">Why not.</param>
public sealed record NotCarried(long Seq, int Line, string Op, string Reason);

/// <summary>How far a migration is.</summary>
/// <param name="Database">The database being moved.</param>
/// <param name="BytesRead">Bytes of its log read.</param>
/// <param name="TotalBytes">The log's size.</param>
/// <param name="Records">Records carried so far.</param>
public readonly record struct NedbdMigrationProgress(string Database, long BytesRead, long TotalBytes, long Records);
