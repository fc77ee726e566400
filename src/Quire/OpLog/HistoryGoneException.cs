namespace Quire.OpLog;

/// <summary>A cursor or seq older than the op log keeps: what happened just after it is gone (pruned past the retention).</summary>
public sealed class HistoryGoneException : ArgumentException
{
    /// <summary>Creates the exception.</summary>
    public HistoryGoneException(long asked, long oldestKept)
        : base($"seq {asked} is older than the op log keeps: the oldest op kept is seq {oldestKept}")
    {
        Asked = asked;
        OldestKept = oldestKept;
    }

    /// <summary>The seq asked for.</summary>
    public long Asked { get; }

    /// <summary>The oldest seq the op log keeps.</summary>
    public long OldestKept { get; }
}
