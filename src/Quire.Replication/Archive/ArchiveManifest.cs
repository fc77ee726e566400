using System.Text.Json;
using System.Text.Json.Serialization;

namespace Quire.Replication.Archive;

/// <summary>
/// What an archive of one database holds, as the object <c>manifest.json</c> that is only
/// ever replaced by compare-and-swap: the database it is of, its base copies (each a whole
/// database as of a seq) and the archived stretches of log after them, oldest first. Any
/// seq from the first base's on, up to <see cref="LastSeq"/>, can be restored from it.
/// </summary>
public sealed record ArchiveManifest
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = false };

    /// <summary>The format, 1.</summary>
    public int Version { get; init; } = 1;

    /// <summary>The database's UUID: an archive is of one database, and another is refused.</summary>
    public Guid DatabaseId { get; init; }

    /// <summary>The archiver (one run of a server) that last wrote the manifest.</summary>
    public Guid Writer { get; init; }

    /// <summary>The base copies and page packs (the images), oldest first; the first is a whole copy.</summary>
    public IReadOnlyList<ArchivedBase> Bases { get; init; } = [];

    /// <summary>Older stretches of log, listed in immutable objects (so the manifest, rewritten every interval, stays small), oldest first.</summary>
    public IReadOnlyList<ArchivedHistory> History { get; init; } = [];

    /// <summary>The newest archived stretches of log, in seq order, after those of <see cref="History"/>.</summary>
    public IReadOnlyList<ArchivedStretch> Log { get; init; } = [];

    /// <summary>The seq after the archived log's end (-1 when no log is archived).</summary>
    [JsonIgnore]
    public long LogEnd => Log.Count > 0 ? Log[^1].Last : History.Count > 0 ? History[^1].Last : -1;

    /// <summary>The last seq the archive can restore to (-1: none): the end of its log, or of its newest base when that is later.</summary>
    [JsonIgnore]
    public long LastSeq => Math.Max(LogEnd, Bases.Count > 0 ? Bases[^1].Seq : -1);

    /// <summary>The manifest's bytes.</summary>
    public byte[] Serialize() => JsonSerializer.SerializeToUtf8Bytes(this, Json);

    /// <summary>A list of stretches as a history object holds it.</summary>
    public static byte[] SerializeStretches(IReadOnlyList<ArchivedStretch> stretches) => JsonSerializer.SerializeToUtf8Bytes(stretches, Json);

    /// <summary>The stretches a history object lists.</summary>
    /// <exception cref="JsonException">It is not such a list.</exception>
    public static List<ArchivedStretch> ParseStretches(byte[] data) =>
        JsonSerializer.Deserialize<List<ArchivedStretch>>(data, Json) ?? throw new JsonException("an empty history");

    /// <summary>The manifest in <paramref name="data"/>.</summary>
    /// <exception cref="JsonException">It is not a manifest.</exception>
    public static ArchiveManifest Parse(byte[] data) =>
        JsonSerializer.Deserialize<ArchiveManifest>(data, Json) ?? throw new JsonException("an empty manifest");
}

/// <summary>A base copy in the archive, or a page pack on top of the images before it.</summary>
/// <param name="Key">Its object.</param>
/// <param name="Seq">The last seq it holds.</param>
/// <param name="Bytes">Its size.</param>
/// <param name="AtMs">When it was made, unix milliseconds.</param>
/// <param name="Pack">
/// Whether it is a page pack (the pages changed since the image before it) rather than a whole
/// copy: the database as of its seq is the whole copy before it and every pack up to it.
/// </param>
public sealed record ArchivedBase(string Key, long Seq, long Bytes, long AtMs, [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] bool Pack = false);

/// <summary>An immutable object listing older stretches of log (a JSON array of <see cref="ArchivedStretch"/>).</summary>
/// <param name="Key">Its object.</param>
/// <param name="First">The first seq of its first stretch.</param>
/// <param name="Last">The last seq of its last stretch.</param>
/// <param name="AtMs">When its last stretch was archived, unix milliseconds.</param>
public sealed record ArchivedHistory(string Key, long First, long Last, long AtMs);

/// <summary>An archived stretch of log.</summary>
/// <param name="Key">Its object.</param>
/// <param name="First">Its first seq.</param>
/// <param name="Last">Its last seq.</param>
/// <param name="AtMs">When it was archived, unix milliseconds: a restore "as of a time" takes the stretches archived by then.</param>
public sealed record ArchivedStretch(string Key, long First, long Last, long AtMs);
