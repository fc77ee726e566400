namespace Quire.Storage.Engine;

/// <summary>A batch was rejected because some of its preconditions did not hold; nothing of it was applied.</summary>
public sealed class KeyPreconditionFailedException : Exception
{
    /// <summary>Creates the exception with every failed precondition.</summary>
    public KeyPreconditionFailedException(IReadOnlyList<KeyPreconditionFailure> failures)
        : base($"{failures.Count} precondition(s) failed; the batch was not applied")
    {
        Failures = failures;
    }

    /// <summary>Every precondition that failed, in batch order.</summary>
    public IReadOnlyList<KeyPreconditionFailure> Failures { get; }
}
