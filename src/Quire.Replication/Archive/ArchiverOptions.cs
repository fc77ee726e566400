namespace Quire.Replication.Archive;

/// <summary>How a <see cref="DatabaseArchiver"/> archives: how often, and how long what it archived is kept.</summary>
public sealed record ArchiverOptions
{
    /// <summary>Log made durable is uploaded at least this often: the most an acknowledged write waits to be archived (the RPO). Default 1 s.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How far back the archive must stay restorable, or null to keep everything. Bases and log
    /// that no point in this window needs are deleted; a new base is taken every half of it (when
    /// something was written), so older ones can go.
    /// </summary>
    public TimeSpan? Retain { get; init; }

    /// <summary>Log archived since the newest base beyond which a new base is taken (or the base's own size, when larger), so a restore replays a bounded log.</summary>
    internal long RebaseLogBytes { get; init; } = 256L * 1024 * 1024;

    /// <summary>Stretches the manifest lists itself before they move into an immutable history object.</summary>
    internal int ManifestStretches { get; init; } = 256;

    /// <summary>The age of the newest base past which the next upload takes a new one: half the retention.</summary>
    internal TimeSpan? RebaseAge => Retain / 2;
}
