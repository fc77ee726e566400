namespace Quire.Documents;

/// <summary>An op of a batch is malformed (a missing field, a bad <c>if_seq</c>, an idempotency key used twice); nothing was applied.</summary>
public sealed class InvalidOpException : ArgumentException
{
    /// <summary>Creates the exception for the batch as a whole, or for the op at <paramref name="opIndex"/>.</summary>
    public InvalidOpException(string detail, int? opIndex = null, Exception? inner = null)
        : base(opIndex is { } index ? $"bad op at index {index}: {detail}" : detail, inner)
    {
        Detail = detail;
        OpIndex = opIndex;
    }

    /// <summary>What is wrong, without the op's position.</summary>
    public string Detail { get; }

    /// <summary>The position of the bad op in its batch, or null when the problem is the batch's or the only op's.</summary>
    public int? OpIndex { get; }
}
