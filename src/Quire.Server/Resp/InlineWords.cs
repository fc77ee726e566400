using System.Text;

namespace Quire.Server.Resp;

/// <summary>
/// Splits an inline command line into words as Redis does (<c>sdssplitargs</c>'s rules):
/// spaces separate words; <c>"..."</c> takes backslash escapes (<c>\n \r \t \b \a \\ \"</c>
/// and <c>\xHH</c>); <c>'...'</c> takes only <c>\'</c>; a closing quote must be followed
/// by a space or the end.
/// </summary>
internal static class InlineWords
{
    public static bool TrySplit(ReadOnlySpan<byte> line, out byte[][] words)
    {
        var result = new List<byte[]>();
        var word = new List<byte>();
        var i = 0;
        words = [];
        while (true)
        {
            while (i < line.Length && line[i] is (byte)' ' or (byte)'\t')
            {
                i++;
            }

            if (i == line.Length)
            {
                words = [.. result];
                return true;
            }

            word.Clear();
            var quote = line[i] is (byte)'"' or (byte)'\'' ? line[i++] : (byte)0;
            while (true)
            {
                if (i == line.Length)
                {
                    if (quote != 0)
                    {
                        return false;   // unterminated quotes
                    }

                    break;
                }

                var c = line[i];
                if (quote == 0 && c is (byte)' ' or (byte)'\t')
                {
                    break;
                }

                if (quote != 0 && c == quote)
                {
                    i++;
                    if (i < line.Length && line[i] is not ((byte)' ' or (byte)'\t'))
                    {
                        return false;   // closing quote must be followed by a space
                    }

                    break;
                }

                if (quote == (byte)'"' && c == (byte)'\\' && i + 1 < line.Length)
                {
                    i++;
                    if (line[i] == (byte)'x' && i + 2 < line.Length && IsHex(line[i + 1]) && IsHex(line[i + 2]))
                    {
                        word.Add((byte)Convert.ToInt32(Encoding.ASCII.GetString(line.Slice(i + 1, 2)), 16));
                        i += 3;
                        continue;
                    }

                    word.Add(line[i] switch
                    {
                        (byte)'n' => (byte)'\n',
                        (byte)'r' => (byte)'\r',
                        (byte)'t' => (byte)'\t',
                        (byte)'b' => (byte)'\b',
                        (byte)'a' => (byte)'\a',
                        var other => other,
                    });
                    i++;
                    continue;
                }

                if (quote == (byte)'\'' && c == (byte)'\\' && i + 1 < line.Length && line[i + 1] == (byte)'\'')
                {
                    word.Add((byte)'\'');
                    i += 2;
                    continue;
                }

                word.Add(c);
                i++;
            }

            result.Add([.. word]);
        }
    }

    private static bool IsHex(byte b) => b is >= (byte)'0' and <= (byte)'9' or >= (byte)'a' and <= (byte)'f' or >= (byte)'A' and <= (byte)'F';
}
