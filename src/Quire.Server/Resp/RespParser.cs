using System.Buffers;

namespace Quire.Server.Resp;

/// <summary>
/// Reads Redis commands from a connection's bytes: arrays of bulk strings (what every client
/// sends) and inline commands (words on a line, as typed into telnet). A command split
/// across reads is left unread until it is whole. Lengths are checked before anything is
/// allocated, so a peer cannot make the server reserve memory it never sends.
/// </summary>
internal static class RespParser
{
    /// <summary>The most arguments one command may have (Redis allows 1,048,576 elements per multibulk... and so do we).</summary>
    public const int MaxArguments = 1024 * 1024;

    /// <summary>The longest inline command line.</summary>
    public const int MaxInlineBytes = 64 * 1024;

    /// <summary>
    /// Reads one command from the start of <paramref name="buffer"/>: <see cref="RespParse.Complete"/>
    /// with its arguments and <paramref name="consumed"/> set past it, <see cref="RespParse.Incomplete"/>
    /// when more bytes are needed, or <see cref="RespParse.Invalid"/> with the protocol error
    /// Redis would send (the connection is then closed).
    /// </summary>
    public static RespParse TryRead(ReadOnlySequence<byte> buffer, long maxBulkBytes, out byte[][] arguments, out SequencePosition consumed, out string? error)
    {
        arguments = [];
        error = null;
        var reader = new SequenceReader<byte>(buffer);
        consumed = buffer.Start;
        if (!reader.TryPeek(out var first))
        {
            return RespParse.Incomplete;
        }

        if (first != (byte)'*')
        {
            return ReadInline(ref reader, out arguments, out consumed, out error);
        }

        reader.Advance(1);
        switch (ReadLength(ref reader, out var count, out error))
        {
            case RespParse.Incomplete:
                return RespParse.Incomplete;
            case RespParse.Invalid:
                return RespParse.Invalid;
        }

        if (count > MaxArguments)
        {
            error = "Protocol error: invalid multibulk length";
            return RespParse.Invalid;
        }

        if (count <= 0)
        {
            consumed = reader.Position;   // *0 or *-1: nothing to run (Redis skips them too)
            return RespParse.Complete;
        }

        // Each argument takes at least 4 bytes ("$0\r\n\r\n" is 6): allocate for what has arrived, not for what is claimed.
        var args = new List<byte[]>((int)Math.Min(count, 1 + (reader.Remaining / 4)));
        for (var i = 0; i < count; i++)
        {
            if (!reader.TryRead(out var marker))
            {
                return RespParse.Incomplete;
            }

            if (marker != (byte)'$')
            {
                error = $"Protocol error: expected '$', got '{(char)marker}'";
                return RespParse.Invalid;
            }

            switch (ReadLength(ref reader, out var length, out error))
            {
                case RespParse.Incomplete:
                    return RespParse.Incomplete;
                case RespParse.Invalid:
                    return RespParse.Invalid;
            }

            if (length < 0 || length > maxBulkBytes)
            {
                error = "Protocol error: invalid bulk length";
                return RespParse.Invalid;
            }

            if (reader.Remaining < length + 2)
            {
                return RespParse.Incomplete;   // the bulk has not all arrived: nothing allocated for it yet
            }

            var value = new byte[length];
            reader.TryCopyTo(value);
            reader.Advance(length);
            if (!reader.IsNext("\r\n"u8, advancePast: true))
            {
                error = "Protocol error: bulk string not followed by CRLF";
                return RespParse.Invalid;
            }

            args.Add(value);
        }

        arguments = [.. args];
        consumed = reader.Position;
        return RespParse.Complete;
    }

    /// <summary>Reads <c>&lt;integer&gt;\r\n</c> after a type marker.</summary>
    private static RespParse ReadLength(ref SequenceReader<byte> reader, out long value, out string? error)
    {
        value = 0;
        error = null;
        if (!reader.TryReadTo(out ReadOnlySequence<byte> digits, "\r\n"u8, advancePastDelimiter: true))
        {
            if (reader.Remaining > 24)
            {
                error = "Protocol error: length line too long";
                return RespParse.Invalid;
            }

            return RespParse.Incomplete;
        }

        if (digits.Length is 0 or > 20)
        {
            error = "Protocol error: invalid length";
            return RespParse.Invalid;
        }

        Span<byte> text = stackalloc byte[(int)digits.Length];
        digits.CopyTo(text);
        var negative = text[0] == (byte)'-';
        var start = negative ? 1 : 0;
        if (start == text.Length)
        {
            error = "Protocol error: invalid length";
            return RespParse.Invalid;
        }

        for (var i = start; i < text.Length; i++)
        {
            if (text[i] is < (byte)'0' or > (byte)'9' || value > (long.MaxValue - 9) / 10)
            {
                error = "Protocol error: invalid length";
                return RespParse.Invalid;
            }

            value = (value * 10) + (text[i] - '0');
        }

        value = negative ? -value : value;
        return RespParse.Complete;
    }

    /// <summary>An inline command: space-separated words up to <c>\n</c> (a <c>\r</c> before it dropped), with Redis's quoting.</summary>
    private static RespParse ReadInline(ref SequenceReader<byte> reader, out byte[][] arguments, out SequencePosition consumed, out string? error)
    {
        arguments = [];
        error = null;
        consumed = reader.Position;
        if (!reader.TryReadTo(out ReadOnlySequence<byte> line, (byte)'\n', advancePastDelimiter: true))
        {
            if (reader.Remaining > MaxInlineBytes)
            {
                error = "Protocol error: too big inline request";
                return RespParse.Invalid;
            }

            return RespParse.Incomplete;
        }

        if (line.Length > MaxInlineBytes)
        {
            error = "Protocol error: too big inline request";
            return RespParse.Invalid;
        }

        var bytes = line.ToArray().AsSpan();
        if (bytes.Length > 0 && bytes[^1] == (byte)'\r')
        {
            bytes = bytes[..^1];
        }

        if (!InlineWords.TrySplit(bytes, out var words))
        {
            error = "Protocol error: unbalanced quotes in request";
            return RespParse.Invalid;
        }

        arguments = words;
        consumed = reader.Position;
        return RespParse.Complete;
    }
}

/// <summary>What <see cref="RespParser.TryRead"/> found.</summary>
internal enum RespParse
{
    /// <summary>A whole command (possibly with no arguments: nothing to run).</summary>
    Complete,

    /// <summary>The command is not all there yet.</summary>
    Incomplete,

    /// <summary>The bytes break the protocol: reply with the error and close.</summary>
    Invalid,
}
