using System.Text.Json;
using Quire.Databases;
using Quire.Documents;
using Quire.Indexes;
using Quire.Keys;
using Quire.Storage.Engine;

namespace Quire.Tests;

/// <summary>Compares what an index holds with the index recomputed from the documents.</summary>
internal static class IndexCheck
{
    /// <summary>The entry keys the index holds.</summary>
    public static List<byte[]> Stored(Database db, string collection, IndexDefinition index)
    {
        var prefix = Keyspace.Prefix(new KeyBuilder(), collection, index.Id).ToArray();
        return db.Engine.Scan(prefix, Keyspace.End(prefix)).Select(e => e.Key).ToList();
    }

    /// <summary>The entry keys the documents call for.</summary>
    public static List<byte[]> Recomputed(Database db, string collection, IndexDefinition index)
    {
        var key = new KeyBuilder();
        var prefix = Keyspace.Prefix(key, collection, Keyspace.DocumentsId).ToArray();
        var expected = new HashSet<byte[]>(ByteArrayComparer.Instance);
        foreach (var entry in db.Engine.Scan(prefix, Keyspace.End(prefix)))
        {
            using var doc = JsonDocument.Parse(DocumentCodec.Json(entry.Value));
            var id = doc.RootElement.GetProperty("_id").GetString()!;
            var entries = new HashSet<byte[]>(ByteArrayComparer.Instance);
            IndexEntries.Collect(collection, id, 0, doc.RootElement, index, key, entries);
            if (index.Kind == IndexKind.Search && entries.Count > 0)
            {
                // A document with terms holds a number slot, which its entries name.
                var number = NumberOf(db, collection, id);
                Assert.True(number is not null, $"{collection}/{id} has search terms but no number");
                entries.Clear();
                IndexEntries.Collect(collection, id, number.Value, doc.RootElement, index, key, entries);
            }

            expected.UnionWith(entries);
        }

        return expected.Order(ByteArrayComparer.Instance).ToList();
    }

    /// <summary>Asserts every index of every collection equals its recomputation.</summary>
    public static void AssertAllConsistent(Database db)
    {
        foreach (var (collection, indexes) in db.AllIndexes())
        {
            foreach (var index in indexes.Where(i => i.Ready))
            {
                var stored = Stored(db, collection, index);
                var recomputed = Recomputed(db, collection, index);
                Assert.True(stored.Count == recomputed.Count, $"{collection}.{index.Field} ({index.Kind}): {stored.Count} entries stored, {recomputed.Count} expected"
                    + $"\nstored: {string.Join(" ", stored.Select(Convert.ToHexString))}\nexpected: {string.Join(" ", recomputed.Select(Convert.ToHexString))}");
                for (var i = 0; i < stored.Count; i++)
                {
                    Assert.True(stored[i].AsSpan().SequenceEqual(recomputed[i]), $"{collection}.{index.Field} ({index.Kind}): entry {i} differs");
                }
            }
        }
    }

    /// <summary>The ids an eq, sorted or tags index holds for one value, in id order.</summary>
    public static List<string> IdsFor(Database db, string collection, IndexDefinition index, string jsonValue)
    {
        using var value = JsonDocument.Parse(jsonValue);
        var prefix = Keyspace.Prefix(new KeyBuilder(), collection, index.Id).Value(value.RootElement).ToArray();
        return IdsUnder(db, prefix);
    }

    /// <summary>The ids a search index holds for one term, in id order.</summary>
    public static List<string> IdsForTerm(Database db, string collection, IndexDefinition index, string term)
    {
        var prefix = Keyspace.Prefix(new KeyBuilder(), collection, index.Id).String(term).ToArray();
        return db.Engine.Scan(prefix, Keyspace.End(prefix)).Select(e =>
        {
            var slot = SearchNumbers.SlotKey(new KeyBuilder(), collection, new KeyReader(e.Key, prefix.Length).Int64()).ToArray();
            var id = db.Engine.Get(slot);
            Assert.True(id is not null, $"a posting of '{term}' names a number without a slot");
            return new KeyReader(id).String();
        }).Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>The search number slot <paramref name="id"/> holds, or null.</summary>
    private static long? NumberOf(Database db, string collection, string id)
    {
        using var snapshot = db.Engine.OpenSnapshot();
        var number = new SearchNumbers(db.Options.SearchHome, (_, _) => { }).Find(snapshot, collection, id, out var held);
        return held ? number : null;
    }

    private static List<string> IdsUnder(Database db, byte[] prefix) =>
        db.Engine.Scan(prefix, Keyspace.End(prefix)).Select(e =>
        {
            var reader = new KeyReader(e.Key, prefix.Length);
            return reader.String();
        }).ToList();
}
