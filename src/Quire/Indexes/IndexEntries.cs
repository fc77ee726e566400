using System.Text.Json;
using Quire.Keys;

namespace Quire.Indexes;

/// <summary>
/// The keys of the entries a document contributes to an index:
/// (collection, index id, value, document id). Sorted: the field's value, a missing
/// field as null (so an ORDER BY walk meets every document). Eq: the same, but each
/// element of an array (NQL's <c>=</c> on an array means "has an element equal to").
/// Tags: each element of an array (or the one value). Search: (collection, index id, term,
/// number) for each term of the text, the number being the document's <see cref="SearchNumbers"/> one.
/// </summary>
internal static class IndexEntries
{
    /// <summary>
    /// Adds the entry keys of <paramref name="document"/> (null when absent: none) to
    /// <paramref name="keys"/>; <paramref name="searchNumber"/> is the document's number,
    /// which only a search index uses.
    /// </summary>
    public static void Collect(string collection, string id, long searchNumber, JsonElement? document, IndexDefinition index, KeyBuilder key, HashSet<byte[]> keys)
    {
        if (document is not { } doc)
        {
            return;
        }

        var found = FieldPath.TryRead(doc, index.Field, out var value);
        switch (index.Kind)
        {
            case IndexKind.Eq when found && value.ValueKind == JsonValueKind.Array:
                // Equality on an array means "has an element equal to", so each element is a key.
                foreach (var element in value.EnumerateArray())
                {
                    keys.Add(Entry(key, collection, index, element, id));
                }

                break;
            case IndexKind.Eq or IndexKind.Sorted:
                if (found)
                {
                    keys.Add(Entry(key, collection, index, value, id));
                }
                else
                {
                    keys.Add(Keyspace.Prefix(key, collection, index.Id).Null().String(id).ToArray());
                }

                break;
            case IndexKind.Tags when found:
                if (value.ValueKind == JsonValueKind.Array)
                {
                    foreach (var element in value.EnumerateArray())
                    {
                        keys.Add(Entry(key, collection, index, element, id));
                    }
                }
                else if (value.ValueKind != JsonValueKind.Null)
                {
                    keys.Add(Entry(key, collection, index, value, id));
                }

                break;
            case IndexKind.Search when found:
                foreach (var text in Texts(value))
                {
                    foreach (var term in TextAnalyzer.Terms(text))
                    {
                        keys.Add(Keyspace.Prefix(key, collection, index.Id).String(term).Int64(searchNumber).ToArray());
                    }
                }

                break;
        }
    }

    /// <summary>
    /// The entry (collection, index, value, id). A number too long for the key keeps only its
    /// first digits, marked cut (strings and composites are always cut at a fixed length), so
    /// no value can make a document unwritable; searches for such numbers read their region
    /// and the filter decides.
    /// </summary>
    private static byte[] Entry(KeyBuilder key, string collection, IndexDefinition index, JsonElement value, string id)
    {
        var entry = Keyspace.Prefix(key, collection, index.Id).Value(value).String(id).ToArray();
        if (entry.Length <= Storage.Engine.WriteBatch.MaxKeyLength || value.ValueKind != JsonValueKind.Number)
        {
            return entry;
        }

        return Keyspace.Prefix(key, collection, index.Id).CutNumber(ExactNumber.Parse(value.GetRawText())).String(id).ToArray();
    }

    private static IEnumerable<string> Texts(JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.String)
        {
            yield return value.GetString()!;
        }
        else if (value.ValueKind == JsonValueKind.Array)
        {
            foreach (var element in value.EnumerateArray())
            {
                if (element.ValueKind == JsonValueKind.String)
                {
                    yield return element.GetString()!;
                }
            }
        }
    }
}
