namespace Quire.Storage.Engine;

/// <summary>A read as of a seq the kept history does not reach: older than the oldest kept, or history is not kept at all.</summary>
public sealed class HistoryUnavailableException : ArgumentException
{
    /// <summary>Creates the exception.</summary>
    public HistoryUnavailableException(long asked, long? oldestKept)
        : base(oldestKept is { } oldest
            ? $"seq {asked} is older than the history kept: the oldest seq that can be read as of is {oldest}"
            : $"seq {asked} cannot be read as of: this database keeps no history")
    {
        Asked = asked;
        OldestKept = oldestKept;
    }

    /// <summary>The seq asked for.</summary>
    public long Asked { get; }

    /// <summary>The oldest seq that can be read as of, or null when no history is kept.</summary>
    public long? OldestKept { get; }
}
