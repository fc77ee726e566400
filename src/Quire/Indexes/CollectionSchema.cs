using System.Text.Json;
using Quire.Storage.Format;

namespace Quire.Indexes;

/// <summary>
/// A collection's index definitions as stored under its schema key, with the version
/// (seq) of that key: a write computed against one version is refused once the schema
/// moved, so an index defined meanwhile is never missed.
/// </summary>
internal sealed class CollectionSchema
{
    public static readonly CollectionSchema Empty = new(-1, []);

    /// <summary>
    /// The search entry format this build writes: 2 names documents by number
    /// (<see cref="SearchNumbers"/>); 1, recorded as no <c>postings</c> field, ended in the
    /// document's id. A format-1 search index reads as not ready, so its build runs again on
    /// open: it deletes the format-1 entries and adds every document's in format 2.
    /// </summary>
    public const int SearchPostingsFormat = 2;

    public CollectionSchema(long version, IReadOnlyList<IndexDefinition> indexes, IReadOnlyList<uint>? dropping = null, uint nextId = 1)
    {
        Version = version;
        Indexes = indexes;
        Dropping = dropping ?? [];
        HasSearch = indexes.Any(i => i.Kind == IndexKind.Search);
        _nextId = Math.Max(nextId, Math.Max(indexes.Count == 0 ? 1 : indexes.Max(i => i.Id) + 1, Dropping.Count == 0 ? 1 : Dropping.Max() + 1));
    }

    private readonly uint _nextId;

    /// <summary>Ids of dropped indexes whose entries are still being deleted (<see cref="IndexReclaimer"/>).</summary>
    public IReadOnlyList<uint> Dropping { get; }

    /// <summary>The seq of the op that last wrote the schema, or -1 when there is none.</summary>
    public long Version { get; }

    public IReadOnlyList<IndexDefinition> Indexes { get; }

    /// <summary>True when the collection has a search index (built or building), so its documents need <see cref="SearchNumbers"/>.</summary>
    public bool HasSearch { get; }

    public IndexDefinition? Find(string field, IndexKind kind)
    {
        foreach (var index in Indexes)
        {
            if (index.Field == field && index.Kind == kind)
            {
                return index;
            }
        }

        return null;
    }

    /// <summary>The schema with one more index.</summary>
    public CollectionSchema With(IndexDefinition index) => new(Version, [.. Indexes, index], Dropping, _nextId);

    /// <summary>The schema with an index marked ready.</summary>
    public CollectionSchema WithReady(uint id) =>
        new(Version, Indexes.Select(i => i.Id == id ? i with { Ready = true } : i).ToList(), Dropping, _nextId);

    /// <summary>The schema without the indexes <paramref name="ids"/>, whose entries are now to be deleted.</summary>
    public CollectionSchema Without(IReadOnlyCollection<uint> ids) =>
        new(Version, Indexes.Where(i => !ids.Contains(i.Id)).ToList(), [.. Dropping, .. ids], _nextId);

    /// <summary>The schema once a dropped index's entries are all deleted.</summary>
    public CollectionSchema Reclaimed(uint id) => new(Version, Indexes, Dropping.Where(d => d != id).ToList(), _nextId);

    /// <summary>The id the next index takes: never one a dropped index had, so no stale entry can be read as a new index's.</summary>
    public uint NextId() => _nextId;

    public byte[] Serialize()
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            writer.WriteStartArray("indexes");
            foreach (var index in Indexes)
            {
                writer.WriteStartObject();
                writer.WriteNumber("id", index.Id);
                writer.WriteString("field", index.Field);
                writer.WriteString("kind", IndexKinds.Name(index.Kind));
                writer.WriteNumber("since", index.Since);
                writer.WriteBoolean("ready", index.Ready);
                if (index.Kind == IndexKind.Search)
                {
                    writer.WriteNumber("postings", SearchPostingsFormat);
                }
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteNumber("next_id", _nextId);
            if (Dropping.Count > 0)
            {
                writer.WriteStartArray("dropping");
                foreach (var id in Dropping)
                {
                    writer.WriteNumberValue(id);
                }

                writer.WriteEndArray();
            }

            writer.WriteEndObject();
        }

        return stream.ToArray();
    }

    public static CollectionSchema Parse(long version, ReadOnlySpan<byte> json)
    {
        using var document = JsonDocument.Parse(json.ToArray());
        var indexes = new List<IndexDefinition>();
        foreach (var index in document.RootElement.GetProperty("indexes").EnumerateArray())
        {
            var kind = IndexKinds.Parse(index.GetProperty("kind").GetString()!);
            var ready = index.GetProperty("ready").GetBoolean();
            if (kind == IndexKind.Search)
            {
                var postings = index.TryGetProperty("postings", out var format) ? format.GetInt32() : 1;
                if (postings > SearchPostingsFormat)
                {
                    throw new IncompatibleFormatException($"a search index on '{index.GetProperty("field").GetString()}' has entry format {postings}; this build reads up to {SearchPostingsFormat}");
                }

                ready &= postings == SearchPostingsFormat;
            }

            indexes.Add(new IndexDefinition(
                index.GetProperty("id").GetUInt32(),
                index.GetProperty("field").GetString()!,
                kind,
                index.GetProperty("since").GetInt64(),
                ready));
        }

        var root = document.RootElement;
        var dropping = root.TryGetProperty("dropping", out var ids) ? ids.EnumerateArray().Select(i => i.GetUInt32()).ToList() : null;
        var nextId = root.TryGetProperty("next_id", out var next) ? next.GetUInt32() : 1;
        return new CollectionSchema(version, indexes, dropping, nextId);
    }
}
