namespace Quire.Documents;

/// <summary>One or more <c>if_seq</c> preconditions of a batch failed; nothing was applied.</summary>
public sealed class PreconditionFailedException : Exception
{
    /// <summary>Creates the exception with every failure.</summary>
    public PreconditionFailedException(IReadOnlyList<PreconditionFailure> failures, long seq)
        : base($"{failures.Count} precondition(s) failed; nothing was applied")
    {
        Failures = failures;
        Seq = seq;
    }

    /// <summary>Every failed precondition, in op order.</summary>
    public IReadOnlyList<PreconditionFailure> Failures { get; }

    /// <summary>The database's seq when the batch was refused.</summary>
    public long Seq { get; }
}
