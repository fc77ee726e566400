namespace Quire.Storage.Log;

/// <summary>What opening the log found.</summary>
public sealed record LogRecoveryReport
{
    /// <summary>The first seq the log holds.</summary>
    public long StartSeq { get; init; }

    /// <summary>The seq the next record will take (one past the last recovered op).</summary>
    public long NextSeq { get; init; }

    /// <summary>How many records were read.</summary>
    public long Records { get; init; }

    /// <summary>A torn tail that was cut, or null when the log ended cleanly.</summary>
    public TornTail? TornTail { get; init; }

    /// <summary>Segment files removed because their header was never completed (a crash while starting a segment).</summary>
    public IReadOnlyList<string> RemovedSegments { get; init; } = [];

    /// <inheritdoc />
    public override string ToString() =>
        $"log seqs {StartSeq}..{NextSeq - 1}, {Records} records"
        + (TornTail is null ? string.Empty : $"; {TornTail}")
        + (RemovedSegments.Count == 0 ? string.Empty : $"; removed unfinished segments {string.Join(", ", RemovedSegments)}");
}
