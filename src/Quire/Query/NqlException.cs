namespace Quire.Query;

/// <summary>A query that parses but cannot run: an unsupported clause, SEARCH without a search index, and the like.</summary>
public sealed class NqlException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    public NqlException(string message)
        : base(message)
    {
    }
}
