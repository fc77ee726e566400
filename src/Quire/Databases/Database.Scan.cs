using Quire.Documents;
using Quire.Keys;

namespace Quire.Databases;

/// <summary>Reading a whole collection.</summary>
public sealed partial class Database
{
    /// <summary>
    /// Every document of <paramref name="collection"/> in id order (after <paramref name="afterId"/>,
    /// when given), from one snapshot (expired ones left out). <paramref name="reverse"/>: in
    /// descending id order, before <paramref name="afterId"/> when given.
    /// </summary>
    public IEnumerable<Document> Scan(string collection, string? afterId = null, bool reverse = false)
    {
        Names.CheckCollection(collection);
        var prefix = Keyspace.Prefix(new KeyBuilder(), collection, Keyspace.DocumentsId).ToArray();
        var (from, to) = (prefix, Keyspace.End(prefix));
        if (afterId is not null)
        {
            var at = Keyspace.Prefix(new KeyBuilder(), collection, Keyspace.DocumentsId).String(afterId);
            (from, to) = reverse ? (prefix, at.ToArray()) : (at.Byte(0).ToArray(), to);
        }

        var nowMs = NowMs;
        using var snapshot = Engine.OpenSnapshot();
        foreach (var entry in snapshot.Scan(from, to, reverse))
        {
            if (DocumentCodec.IsExpired(entry.Value, nowMs))
            {
                continue;
            }

            var reader = new KeyReader(entry.Key, prefix.Length);
            var id = reader.String();
            yield return new Document(collection, id, entry.Version, DocumentCodec.WithSeq(entry.Value, entry.Version));
        }
    }

    /// <summary>
    /// An export of <paramref name="collection"/>, or of every collection (each line then with
    /// its <c>_coll</c>) when null, as of this moment (see <see cref="DocumentExport"/>).
    /// </summary>
    /// <exception cref="InvalidNameException">The collection name is not valid.</exception>
    public DocumentExport OpenExport(string? collection = null)
    {
        if (collection is not null)
        {
            Names.CheckCollection(collection);
        }

        var snapshot = Engine.OpenSnapshot();
        try
        {
            // Listed after the snapshot was taken: a collection made since then scans empty in it.
            return new DocumentExport(snapshot, collection is null ? Collections() : [collection], collection is null, NowMs);
        }
        catch
        {
            snapshot.Dispose();
            throw;
        }
    }

    /// <summary>True when the document exists (and has not expired), without reading it out.</summary>
    public bool Contains(string collection, string id)
    {
        Names.CheckCollection(collection);
        Names.CheckId(id);
        var key = Keyspace.Document(new KeyBuilder(), collection, id).Span;
        return Engine.TryGetVersioned(key, out var stored) && stored.Value is { } value && !DocumentCodec.IsExpired(value, NowMs);
    }

    /// <summary>
    /// True when any of <paramref name="collections"/> holds a document (expired ones aside):
    /// one view of the latest state, a cursor to the first entry of each, nothing copied.
    /// </summary>
    public bool AnyDocuments(IReadOnlyList<string> collections)
    {
        var nowMs = NowMs;
        var key = new KeyBuilder();
        using var view = Engine.OpenWriteView();   // the latest state, and no registration as a reader's snapshot
        foreach (var collection in collections)
        {
            Names.CheckCollection(collection);
            var prefix = Keyspace.Prefix(key, collection, Keyspace.DocumentsId).ToArray();
            using var cursor = view.Cursor(prefix, Keyspace.End(prefix));
            while (cursor.MoveNext())
            {
                if (!DocumentCodec.IsExpired(cursor.Value, nowMs))
                {
                    return true;
                }
            }
        }

        return false;
    }
}
