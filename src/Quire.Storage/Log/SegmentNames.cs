using System.Globalization;

namespace Quire.Storage.Log;

/// <summary>
/// How log files are named: <c>wal/&lt;first-seq&gt;.log</c> for segments in use (the
/// number zero-padded so names sort by seq) and <c>wal/spare-&lt;n&gt;.log</c> for
/// preallocated, pre-written segments waiting to be used or reused.
/// </summary>
internal static class SegmentNames
{
    public const string Directory = "wal";
    private const string Extension = ".log";
    private const string SparePrefix = "spare-";

    public static string Segment(long firstSeq) => firstSeq.ToString("D20", CultureInfo.InvariantCulture) + Extension;

    public static string Spare(long number) => SparePrefix + number.ToString(CultureInfo.InvariantCulture) + Extension;

    public static bool TryParseSegment(string name, out long firstSeq)
    {
        firstSeq = 0;
        return name.EndsWith(Extension, StringComparison.Ordinal)
            && !name.StartsWith(SparePrefix, StringComparison.Ordinal)
            && long.TryParse(name.AsSpan(0, name.Length - Extension.Length), NumberStyles.None, CultureInfo.InvariantCulture, out firstSeq);
    }

    public static bool TryParseSpare(string name, out long number)
    {
        number = 0;
        return name.StartsWith(SparePrefix, StringComparison.Ordinal)
            && name.EndsWith(Extension, StringComparison.Ordinal)
            && long.TryParse(
                name.AsSpan(SparePrefix.Length, name.Length - SparePrefix.Length - Extension.Length),
                NumberStyles.None,
                CultureInfo.InvariantCulture,
                out number);
    }
}
