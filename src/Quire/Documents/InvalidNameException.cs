namespace Quire.Documents;

/// <summary>A database name, collection name, document id or link end breaks its rules (see <see cref="Names"/>).</summary>
public sealed class InvalidNameException : ArgumentException
{
    /// <summary>Creates the exception.</summary>
    public InvalidNameException(string message)
        : base(message)
    {
    }
}
