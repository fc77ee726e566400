using System.Text.Json;
using Quire.Indexes;
using Quire.Keys;
using Quire.Storage.Engine;

namespace Quire.Documents.Writes;

/// <summary>
/// Index maintenance for one batch: when a document is written or deleted, the old form's
/// entries the new one lacks are deleted and the new one's put, for every index of its
/// collection; a collection with a search index also claims or releases the number its
/// entries name the document by (<see cref="SearchNumbers"/>). Reused across the batch's ops.
/// </summary>
internal sealed class IndexWrites(Func<string, long> searchHome, PendingPreconditions preconditions, WriteBatch batch)
{
    private readonly HashSet<byte[]> _before = new(ByteArrayComparer.Instance);
    private readonly HashSet<byte[]> _after = new(ByteArrayComparer.Instance);
    private SearchNumbers? _numbers;   // made on the first op of a collection with a search index

    /// <summary>Writes the index changes of <paramref name="id"/> going from <paramref name="old"/> to <paramref name="next"/> (null: absent).</summary>
    public void Write(Snapshot view, WriteBatch.OpBuilder builder, KeyBuilder key, CollectionSchema schema, string collection, string id, JsonElement? old, JsonElement? next)
    {
        var (number, held) = (0L, false);
        if (schema.HasSearch)
        {
            _numbers ??= new SearchNumbers(searchHome, (slot, version) => preconditions.AddRead(batch, slot, version));
            number = _numbers.Find(view, collection, id, out held);
        }

        foreach (var index in schema.Indexes)
        {
            _before.Clear();
            _after.Clear();
            IndexEntries.Collect(collection, id, number, old, index, key, _before);
            IndexEntries.Collect(collection, id, number, next, index, key, _after);
            WriteDifference(builder, putUnchanged: !index.Ready);
        }

        if (schema.HasSearch)
        {
            if (next is not null && !held)
            {
                _numbers!.Claim(builder, collection, id, number);
            }
            else if (next is null && held)
            {
                _numbers!.Release(view, builder, collection, number);
            }
        }
    }

    /// <summary>
    /// Deletes the old document's entries the new one lacks and puts the new one's. An index
    /// still being built may not hold the old document's entries yet (and its build skips a
    /// document written meanwhile), so there <paramref name="putUnchanged"/> puts them all.
    /// </summary>
    private void WriteDifference(WriteBatch.OpBuilder builder, bool putUnchanged)
    {
        foreach (var entry in _before)
        {
            if (!_after.Contains(entry))
            {
                builder.Delete(entry);
            }
        }

        foreach (var entry in _after)
        {
            if (putUnchanged || !_before.Contains(entry))
            {
                builder.Put(entry, []);
            }
        }
    }
}
