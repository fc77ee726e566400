using System.Text;

namespace Quire.Migration;

/// <summary>
/// Reads a nedbd v1 <c>log.aof</c> in order, opening encrypted lines, as nedbd replays it:
/// blank lines are skipped and reading stops at the first line that is not a complete
/// record (a torn tail) or whose seq does not follow the one before. It checks the hash chain
/// as it goes.
/// </summary>
internal sealed class NedbdLog
{
    private readonly string _path;
    private readonly NedbdCipher? _cipher;

    public NedbdLog(string path, NedbdCipher? cipher)
    {
        _path = path;
        _cipher = cipher;
    }

    /// <summary>Where reading stopped early: the 1-based line and why; null when every line was read.</summary>
    public (int Line, string Reason)? StoppedAt { get; private set; }

    /// <summary>How many lines follow the one reading stopped at.</summary>
    public int LinesNotRead { get; private set; }

    /// <summary>The records whose chain hash does not match (seq and line), at most the first 100.</summary>
    public List<(long Seq, int Line)> ChainBreaks { get; } = [];

    /// <summary>How many records failed the chain check.</summary>
    public long ChainBreakCount { get; private set; }

    /// <summary>The last record's hash: the chain head nedbd reported.</summary>
    public string Head { get; private set; } = NedbdChain.Genesis;

    /// <summary>How many bytes of the file have been read, for progress.</summary>
    public long BytesRead { get; private set; }

    /// <summary>The records, in order; the caller disposes each.</summary>
    public IEnumerable<NedbdRecord> Read()
    {
        using var reader = new StreamReader(_path, Encoding.UTF8);
        var lineNumber = 0;
        long expectedSeq = -1;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            BytesRead += line.Length + 1;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            var text = NedbdCipher.Unwrap(Encoding.UTF8.GetBytes(line.Trim()), _cipher);
            var record = text is null ? null : NedbdRecord.Parse(text, lineNumber);
            var reason = text is null ? "an encrypted line that does not open under the database's key"
                : record is null ? "not a complete record (a torn write, or a value JSON cannot hold such as NaN)"
                : record.Seq <= expectedSeq ? $"seq {record.Seq} does not follow seq {expectedSeq}"
                : null;
            if (reason is not null)
            {
                record?.Dispose();
                StoppedAt = (lineNumber, reason);
                while (reader.ReadLine() is { } rest)
                {
                    LinesNotRead += string.IsNullOrWhiteSpace(rest) ? 0 : 1;
                }

                yield break;
            }

            expectedSeq = record!.Seq;
            if (record.PrevHash != Head || NedbdChain.HashOf(record, Head) != record.Hash)
            {
                ChainBreakCount++;
                if (ChainBreaks.Count < 100)
                {
                    ChainBreaks.Add((record.Seq, lineNumber));
                }
            }

            Head = record.Hash;
            yield return record;
        }
    }
}
