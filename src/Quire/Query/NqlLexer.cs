using System.Text;

namespace Quire.Query;

/// <summary>
/// Splits NQL text into tokens: words (keywords, field names, bare values; dotted paths
/// are one word), "double" or 'single' quoted strings with backslash escapes, numbers
/// (<c>-?digits(.digits)?(e[+-]?digits)?</c>) and the operators <c>= != &lt; &lt;= &gt; &gt;=</c>.
/// </summary>
internal static class NqlLexer
{
    public static List<NqlToken> Tokenize(string text)
    {
        var tokens = new List<NqlToken>();
        var i = 0;
        while (true)
        {
            while (i < text.Length && char.IsWhiteSpace(text[i]))
            {
                i++;
            }

            if (i == text.Length)
            {
                tokens.Add(new NqlToken(NqlTokenKind.End, "", i));
                return tokens;
            }

            var start = i;
            var c = text[i];
            if (c is '"' or '\'')
            {
                tokens.Add(new NqlToken(NqlTokenKind.String, ReadString(text, ref i), start));
            }
            else if (char.IsAsciiDigit(c) || (c is '-' or '.' && i + 1 < text.Length && (char.IsAsciiDigit(text[i + 1]) || text[i + 1] == '.')))
            {
                tokens.Add(new NqlToken(NqlTokenKind.Number, ReadNumber(text, ref i), start));
            }
            else if (c is '=' or '<' or '>' or '!')
            {
                var op = c != '=' && i + 1 < text.Length && text[i + 1] == '=' ? text.Substring(i, 2) : text[i].ToString();
                i += op.Length;
                tokens.Add(new NqlToken(op == "!" ? NqlTokenKind.Unknown : NqlTokenKind.Operator, op, start));
            }
            else if (IsWordChar(c))
            {
                while (i < text.Length && IsWordChar(text[i]))
                {
                    i++;
                }

                tokens.Add(new NqlToken(NqlTokenKind.Word, text[start..i], start));
            }
            else
            {
                // Reported by the parser, which knows what it expected here.
                tokens.Add(new NqlToken(NqlTokenKind.Unknown, c.ToString(), start));
                i++;
            }
        }
    }

    private static bool IsWordChar(char c) => char.IsLetterOrDigit(c) || c is '_' or '.' or '-' or ':' or '$' or '@';

    private static string ReadString(string text, ref int i)
    {
        var quote = text[i];
        var start = i;
        i++;
        var value = new StringBuilder();
        while (i < text.Length && text[i] != quote)
        {
            if (text[i] == '\\' && i + 1 < text.Length)
            {
                i++;
                value.Append(text[i] switch { 'n' => '\n', 't' => '\t', 'r' => '\r', _ => text[i] });
            }
            else
            {
                value.Append(text[i]);
            }

            i++;
        }

        if (i == text.Length)
        {
            throw new NqlSyntaxException(start, $"a closing {quote} for the string starting here", "the end of the query");
        }

        i++;
        return value.ToString();
    }

    private static string ReadNumber(string text, ref int i)
    {
        var start = i;
        if (text[i] == '-')
        {
            i++;
        }

        SkipDigits(text, ref i);
        if (i < text.Length && text[i] == '.')
        {
            i++;
            SkipDigits(text, ref i);
        }

        if (i < text.Length && text[i] is 'e' or 'E')
        {
            i++;
            if (i < text.Length && text[i] is '+' or '-')
            {
                i++;
            }

            var digits = i;
            SkipDigits(text, ref i);
            if (i == digits)
            {
                throw new NqlSyntaxException(i, "the digits of an exponent", i < text.Length ? $"'{text[i]}'" : "the end of the query");
            }
        }

        if (i < text.Length && IsWordChar(text[i]) && text[i] != '.')
        {
            throw new NqlSyntaxException(i, "a space or operator after the number", $"'{text[i]}'");
        }

        var number = text[start..i];
        if (number.StartsWith('.'))
        {
            return "0" + number;
        }

        return number.StartsWith("-.", StringComparison.Ordinal) ? "-0" + number[1..] : number;
    }

    private static void SkipDigits(string text, ref int i)
    {
        while (i < text.Length && char.IsAsciiDigit(text[i]))
        {
            i++;
        }
    }
}
