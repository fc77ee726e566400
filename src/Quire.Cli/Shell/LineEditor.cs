using System.Text;

namespace Quire.Cli.Shell;

/// <summary>
/// Reads a line from a terminal with editing: left and right, Home and End, Backspace and
/// Delete, up and down through the history, Tab to complete the word before the cursor
/// (one candidate is filled in; several are listed, their common prefix filled in),
/// Ctrl-C to drop the line, Ctrl-D on an empty line to end. Only for a terminal: with
/// redirected input the shell reads lines as they come.
/// </summary>
internal sealed class LineEditor(ShellHistory history, Func<string, IReadOnlyList<string>> complete)
{
    /// <summary>The line, or null at the end (Ctrl-D on an empty line).</summary>
    public string? ReadLine(string prompt)
    {
        Console.Write(prompt);
        var line = new StringBuilder();
        var cursor = 0;
        var browsing = history.Count;
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            switch (key.Key)
            {
                case ConsoleKey.Enter:
                    Console.WriteLine();
                    return line.ToString();
                case ConsoleKey.Backspace when cursor > 0:
                    line.Remove(--cursor, 1);
                    break;
                case ConsoleKey.Delete when cursor < line.Length:
                    line.Remove(cursor, 1);
                    break;
                case ConsoleKey.LeftArrow when cursor > 0:
                    cursor--;
                    break;
                case ConsoleKey.RightArrow when cursor < line.Length:
                    cursor++;
                    break;
                case ConsoleKey.Home:
                    cursor = 0;
                    break;
                case ConsoleKey.End:
                    cursor = line.Length;
                    break;
                case ConsoleKey.UpArrow when browsing > 0:
                    Replace(line, history[--browsing], ref cursor);
                    break;
                case ConsoleKey.DownArrow when browsing < history.Count:
                    Replace(line, ++browsing < history.Count ? history[browsing] : "", ref cursor);
                    break;
                case ConsoleKey.Tab:
                    Complete(line, ref cursor, prompt);
                    break;
                default:
                    if (key.Modifiers.HasFlag(ConsoleModifiers.Control) && key.Key == ConsoleKey.C)
                    {
                        Console.WriteLine("^C");
                        return "";
                    }

                    if (key.Modifiers.HasFlag(ConsoleModifiers.Control) && key.Key == ConsoleKey.D)
                    {
                        if (line.Length == 0)
                        {
                            Console.WriteLine();
                            return null;
                        }

                        break;
                    }

                    if (!char.IsControl(key.KeyChar))
                    {
                        line.Insert(cursor++, key.KeyChar);
                    }

                    break;
            }

            Redraw(prompt, line, cursor);
        }
    }

    private void Complete(StringBuilder line, ref int cursor, string prompt)
    {
        var text = line.ToString();
        var start = cursor;
        while (start > 0 && !char.IsWhiteSpace(text[start - 1]) && text[start - 1] is not ('(' or ','))
        {
            start--;
        }

        var word = text[start..cursor];
        var candidates = complete(word).Where(c => c.StartsWith(word, StringComparison.OrdinalIgnoreCase)).Distinct(StringComparer.Ordinal).ToList();
        if (candidates.Count == 0)
        {
            return;
        }

        var fill = candidates.Count == 1 ? candidates[0] + " " : CommonPrefix(candidates);
        if (fill.Length > word.Length || candidates.Count == 1)
        {
            line.Remove(start, word.Length).Insert(start, fill);
            cursor = start + fill.Length;
        }

        if (candidates.Count > 1)
        {
            Console.WriteLine();
            Console.WriteLine(string.Join("  ", candidates));
            Console.Write(prompt);
        }
    }

    private static string CommonPrefix(List<string> words)
    {
        var prefix = words[0];
        foreach (var word in words.Skip(1))
        {
            var length = 0;
            while (length < prefix.Length && length < word.Length && char.ToLowerInvariant(prefix[length]) == char.ToLowerInvariant(word[length]))
            {
                length++;
            }

            prefix = prefix[..length];
        }

        return prefix;
    }

    private static void Replace(StringBuilder line, string text, ref int cursor)
    {
        line.Clear().Append(text);
        cursor = line.Length;
    }

    private static void Redraw(string prompt, StringBuilder line, int cursor)
    {
        // Back to the line's start, the prompt and the text, clear what an older, longer line left.
        Console.Write($"\r{prompt}{line}\u001b[K");
        var back = line.Length - cursor;
        if (back > 0)
        {
            Console.Write($"\u001b[{back}D");
        }
    }
}
