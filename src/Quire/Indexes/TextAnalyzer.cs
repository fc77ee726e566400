using System.Globalization;

namespace Quire.Indexes;

/// <summary>
/// Turns text into search terms: runs of letters and digits, lower-cased (invariant
/// culture), each cut to <see cref="MaxTermLength"/> characters. The same analyzer
/// splits a SEARCH query, so a query term matches a stored term exactly.
/// </summary>
public static class TextAnalyzer
{
    /// <summary>The analyzer's version, recorded in each database; bump it on any change to the terms it yields.</summary>
    public const int Version = 1;

    /// <summary>The longest term kept; longer runs are cut to this many characters.</summary>
    public const int MaxTermLength = 64;

    /// <summary>The distinct terms of <paramref name="text"/>, in order of first appearance.</summary>
    public static IReadOnlyList<string> Terms(string text)
    {
        var terms = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var start = -1;
        for (var i = 0; i <= text.Length; i++)
        {
            var inWord = i < text.Length && IsWordChar(text, i);
            if (inWord && start < 0)
            {
                start = i;
            }
            else if (!inWord && start >= 0)
            {
                var length = Math.Min(i - start, MaxTermLength);
                if (length < i - start && char.IsHighSurrogate(text[start + length - 1]))
                {
                    length--; // do not cut a surrogate pair in half
                }

                var term = text.Substring(start, length).ToLowerInvariant();
                if (seen.Add(term))
                {
                    terms.Add(term);
                }

                start = -1;
            }
        }

        return terms;
    }

    private static bool IsWordChar(string text, int i)
    {
        var category = char.GetUnicodeCategory(text, i);
        return char.IsLetterOrDigit(text, i)
            || category is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark
            || (char.IsLowSurrogate(text[i]) && i > 0 && char.IsLetterOrDigit(text, i - 1));
    }
}
