namespace Quire.Databases;

/// <summary>A database of that name exists already.</summary>
public sealed class DatabaseExistsException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    public DatabaseExistsException(string message)
        : base(message)
    {
    }
}
