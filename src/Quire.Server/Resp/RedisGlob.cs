namespace Quire.Server.Resp;

/// <summary>Redis's glob patterns (KEYS, SCAN MATCH): <c>*</c>, <c>?</c>, <c>[abc]</c>, <c>[^a]</c>, <c>[a-z]</c>, and <c>\</c> quoting the next byte.</summary>
internal static class RedisGlob
{
    public static bool Matches(ReadOnlySpan<byte> pattern, ReadOnlySpan<byte> text)
    {
        // Backtracking to the last star only: linear in practice, as Redis's own matcher.
        int p = 0, t = 0, starP = -1, starT = 0;
        while (t < text.Length)
        {
            if (p < pattern.Length && pattern[p] == (byte)'*')
            {
                starP = p++;
                starT = t;
                continue;
            }

            if (p < pattern.Length && MatchOne(pattern, ref p, text[t]))
            {
                t++;
                continue;
            }

            if (starP < 0)
            {
                return false;
            }

            p = starP + 1;
            t = ++starT;
        }

        while (p < pattern.Length && pattern[p] == (byte)'*')
        {
            p++;
        }

        return p == pattern.Length;
    }

    /// <summary>Whether the pattern element at <paramref name="p"/> matches <paramref name="c"/>; moves <paramref name="p"/> past it when it does.</summary>
    private static bool MatchOne(ReadOnlySpan<byte> pattern, ref int p, byte c)
    {
        var at = p;
        switch (pattern[at])
        {
            case (byte)'?':
                p = at + 1;
                return true;
            case (byte)'\\' when at + 1 < pattern.Length:
                if (pattern[at + 1] != c)
                {
                    return false;
                }

                p = at + 2;
                return true;
            case (byte)'[':
                var i = at + 1;
                var negate = i < pattern.Length && pattern[i] == (byte)'^';
                if (negate)
                {
                    i++;
                }

                var matched = false;
                while (i < pattern.Length && pattern[i] != (byte)']')
                {
                    if (pattern[i] == (byte)'\\' && i + 1 < pattern.Length)
                    {
                        matched |= pattern[i + 1] == c;
                        i += 2;
                    }
                    else if (i + 2 < pattern.Length && pattern[i + 1] == (byte)'-' && pattern[i + 2] != (byte)']')
                    {
                        var (low, high) = pattern[i] <= pattern[i + 2] ? (pattern[i], pattern[i + 2]) : (pattern[i + 2], pattern[i]);
                        matched |= c >= low && c <= high;
                        i += 3;
                    }
                    else
                    {
                        matched |= pattern[i] == c;
                        i++;
                    }
                }

                if (matched == negate)
                {
                    return false;
                }

                p = Math.Min(i + 1, pattern.Length);
                return true;
            default:
                if (pattern[at] != c)
                {
                    return false;
                }

                p = at + 1;
                return true;
        }
    }
}
