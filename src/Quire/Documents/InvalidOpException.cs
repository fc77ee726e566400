namespace Quire.Documents;

/// <summary>An op of a batch is malformed (a missing field, a bad name); nothing was applied.</summary>
public sealed class InvalidOpException : ArgumentException
{
    /// <summary>Creates the exception.</summary>
    public InvalidOpException(string message)
        : base(message)
    {
    }
}
