namespace Quire.Query;

/// <summary>The kinds of NQL tokens.</summary>
internal enum NqlTokenKind
{
    Word,
    String,
    Number,
    Operator,

    /// <summary>A character that starts no token.</summary>
    Unknown,
    End,
}

/// <summary>One token: its kind, text (a string's unquoted content) and where it starts.</summary>
internal readonly record struct NqlToken(NqlTokenKind Kind, string Text, int Position)
{
    public bool IsKeyword(string keyword) => Kind == NqlTokenKind.Word && string.Equals(Text, keyword, StringComparison.OrdinalIgnoreCase);

    public string Describe() => Kind switch
    {
        NqlTokenKind.End => "the end of the query",
        NqlTokenKind.String => $"string \"{Text}\"",
        _ => $"'{Text}'",
    };
}
