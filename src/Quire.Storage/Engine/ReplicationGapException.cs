namespace Quire.Storage.Engine;

/// <summary>A replicated record does not start at the seq the engine stands at: records were skipped, repeated or reordered.</summary>
public sealed class ReplicationGapException : InvalidOperationException
{
    /// <summary>The seq expected and the one the record had.</summary>
    public ReplicationGapException(long expected, long actual)
        : base($"a replicated record must start at seq {expected}, this one starts at {actual}")
    {
        Expected = expected;
        Actual = actual;
    }

    /// <summary>The seq the next record had to start at.</summary>
    public long Expected { get; }

    /// <summary>The seq it started at.</summary>
    public long Actual { get; }
}
