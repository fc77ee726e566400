using System.Buffers;

namespace Quire.Cli.Import;

/// <summary>Splits a stream into lines of UTF-8 bytes (without the <c>\n</c>; a leading byte-order mark dropped) through one growing buffer.</summary>
internal static class LineSplitter
{
    private static readonly byte[] ByteOrderMark = [0xEF, 0xBB, 0xBF];

    /// <summary>The lines; each is valid until the next is read.</summary>
    public static IEnumerable<ReadOnlyMemory<byte>> Lines(Stream stream)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(1 << 16);
        var (start, end, first) = (0, 0, true);
        try
        {
            while (true)
            {
                var newline = buffer.AsSpan(start, end - start).IndexOf((byte)'\n');
                if (newline >= 0)
                {
                    yield return buffer.AsMemory(start, newline);
                    start += newline + 1;
                    continue;
                }

                if (start > 0)
                {
                    buffer.AsSpan(start, end - start).CopyTo(buffer);   // keep the partial line
                    (end, start) = (end - start, 0);
                }
                else if (end == buffer.Length)
                {
                    var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);   // a line longer than the buffer
                    buffer.AsSpan(0, end).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                var read = stream.Read(buffer, end, buffer.Length - end);
                if (read == 0)
                {
                    if (end > start)
                    {
                        yield return buffer.AsMemory(start, end - start);
                    }

                    yield break;
                }

                end += read;
                if (first)
                {
                    first = false;
                    start = buffer.AsSpan(0, end).StartsWith(ByteOrderMark) ? ByteOrderMark.Length : 0;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
