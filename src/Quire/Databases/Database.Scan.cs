using Quire.Documents;
using Quire.Keys;

namespace Quire.Databases;

/// <summary>Reading a whole collection.</summary>
public sealed partial class Database
{
    /// <summary>
    /// Every document of <paramref name="collection"/> in id order (after <paramref name="afterId"/>,
    /// when given), from one snapshot (expired ones left out).
    /// </summary>
    public IEnumerable<Document> Scan(string collection, string? afterId = null)
    {
        Names.CheckCollection(collection);
        var prefix = Keyspace.Prefix(new KeyBuilder(), collection, Keyspace.DocumentsId).ToArray();
        var from = afterId is null ? prefix : Keyspace.Prefix(new KeyBuilder(), collection, Keyspace.DocumentsId).String(afterId).Byte(0).ToArray();
        var nowMs = NowMs;
        using var snapshot = Engine.OpenSnapshot();
        foreach (var entry in snapshot.Scan(from, Keyspace.End(prefix)))
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
}
