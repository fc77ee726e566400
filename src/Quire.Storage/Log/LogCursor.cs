namespace Quire.Storage.Log;

/// <summary>
/// Where a reader tailing the log stands: the next seq it wants and, once found, the segment
/// and offset of the record holding it, so each read goes on from there instead of
/// scanning its segment from the start (a replica's stream reads the log many times a second).
/// </summary>
public sealed class LogCursor
{
    /// <summary>A cursor at <paramref name="nextSeq"/>.</summary>
    public LogCursor(long nextSeq)
    {
        NextSeq = nextSeq;
    }

    /// <summary>The first seq not read yet.</summary>
    public long NextSeq { get; internal set; }

    internal long SegmentFirstSeq { get; set; } = -1;

    internal string? Path { get; set; }

    internal long Offset { get; set; }
}
