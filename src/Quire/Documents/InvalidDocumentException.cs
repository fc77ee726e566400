namespace Quire.Documents;

/// <summary>A document is not a JSON object, is too large, or holds a value Quire cannot index.</summary>
public sealed class InvalidDocumentException : ArgumentException
{
    /// <summary>Creates the exception.</summary>
    public InvalidDocumentException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}
