namespace Quire.Replication.Archive;

/// <summary>
/// What retention may delete from an archive. Every point from a cutoff time on must stay
/// restorable: a restore starts from the newest base made at or before its point, so the
/// newest base made at or before the cutoff, every later base and the log after that base
/// are kept, and nothing else is needed. Objects are named by the seqs they hold
/// (<c>base/&lt;seq+1&gt;-&lt;writer&gt;.copy</c>, <c>pack/&lt;seq+1&gt;-&lt;writer&gt;.pages</c>, <c>log/&lt;first&gt;-&lt;last&gt;</c>,
/// <c>history/&lt;first&gt;-&lt;last&gt;.json</c>), so one left behind by a collection cut
/// short is recognised by its name too.
/// </summary>
internal static class ArchiveRetention
{
    /// <summary>
    /// The manifest without what no point from <paramref name="cutoffMs"/> on needs, and the seq
    /// from which it keeps everything (its oldest base's); null when it needs all it lists.
    /// </summary>
    public static (ArchiveManifest Kept, long FromSeq)? Collect(ArchiveManifest manifest, long cutoffMs)
    {
        var oldest = -1;
        for (var i = 0; i < manifest.Bases.Count && manifest.Bases[i].AtMs <= cutoffMs; i++)
        {
            oldest = i;
        }

        while (oldest > 0 && manifest.Bases[oldest].Pack)
        {
            oldest--;   // a pack needs the whole copy before it, and the packs between
        }

        if (oldest <= 0)
        {
            return null;   // the oldest base is still needed
        }

        var from = manifest.Bases[oldest].Seq;
        return (manifest with
        {
            Bases = [.. manifest.Bases.Skip(oldest)],
            History = [.. manifest.History.Where(h => h.Last > from)],
            Log = [.. manifest.Log.Where(s => s.Last > from)],
        }, from);
    }

    /// <summary>
    /// The last seq an archive object holds, read from its name under the database's folder
    /// (<c>base/...</c>, <c>pack/...</c>, <c>log/...</c>, <c>history/...</c>); null for any other object.
    /// </summary>
    public static long? LastSeqOf(string name)
    {
        var slash = name.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0)
        {
            return null;
        }

        var (kind, rest) = (name[..slash], name[(slash + 1)..]);
        var dash = rest.IndexOf('-', StringComparison.Ordinal);
        switch (kind)
        {
            case "base" or "pack" when dash > 0 && long.TryParse(rest.AsSpan(0, dash), out var afterBase):
                return afterBase - 1;
            case "log" when dash > 0 && long.TryParse(rest.AsSpan(dash + 1), out var last):
                return last;
            case "history" when dash > 0 && rest.EndsWith(".json", StringComparison.Ordinal) && long.TryParse(rest.AsSpan(dash + 1, rest.Length - dash - 1 - ".json".Length), out var historyLast):
                return historyLast;
            default:
                return null;
        }
    }
}
