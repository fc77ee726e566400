namespace Quire.Indexes;

/// <summary>An index request names an unknown kind, or a bad collection or field.</summary>
public sealed class InvalidIndexException : ArgumentException
{
    /// <summary>Creates the exception.</summary>
    public InvalidIndexException(string message)
        : base(message)
    {
    }
}
