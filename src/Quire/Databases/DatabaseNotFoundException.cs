namespace Quire.Databases;

/// <summary>No database of that name exists.</summary>
public sealed class DatabaseNotFoundException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    public DatabaseNotFoundException(string message)
        : base(message)
    {
    }
}
