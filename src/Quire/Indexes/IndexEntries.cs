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
                    keys.Add(Keyspace.Prefix(key, collection, index.Id).Value(element).String(id).ToArray());
                }

                break;
            case IndexKind.Eq or IndexKind.Sorted:
                if (found)
                {
                    keys.Add(Keyspace.Prefix(key, collection, index.Id).Value(value).String(id).ToArray());
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
                        keys.Add(Keyspace.Prefix(key, collection, index.Id).Value(element).String(id).ToArray());
                    }
                }
                else if (value.ValueKind != JsonValueKind.Null)
                {
                    keys.Add(Keyspace.Prefix(key, collection, index.Id).Value(value).String(id).ToArray());
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
