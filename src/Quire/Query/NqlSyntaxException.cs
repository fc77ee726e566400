namespace Quire.Query;

/// <summary>An NQL text that does not parse: says where (1-based column) and what was expected there.</summary>
public sealed class NqlSyntaxException : FormatException
{
    /// <summary>Creates the exception.</summary>
    public NqlSyntaxException(int position, string expected, string found)
        : base($"at column {position + 1}: expected {expected}, found {found}")
    {
        Position = position;
        Expected = expected;
        Found = found;
    }

    /// <summary>The 0-based character offset of the problem.</summary>
    public int Position { get; }

    /// <summary>What the parser expected there.</summary>
    public string Expected { get; }

    /// <summary>What it found.</summary>
    public string Found { get; }
}
