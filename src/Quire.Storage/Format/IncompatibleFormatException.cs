namespace Quire.Storage.Format;

/// <summary>A file is of a newer format, another kind, or another database: Quire refuses to read it.</summary>
public sealed class IncompatibleFormatException : IOException
{
    /// <summary>Creates the exception with a message that says which file and why.</summary>
    public IncompatibleFormatException(string message)
        : base(message)
    {
    }
}
