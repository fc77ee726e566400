using Quire.Keys;
using Quire.Storage.Engine;

namespace Quire.Documents.Writes;

/// <summary>The expiry index: a document's entry moves with its expiry time, so the reaper finds due documents in time order.</summary>
internal static class ExpiryWrites
{
    /// <summary>Replaces the entry at <paramref name="old"/> with one at <paramref name="next"/> (epoch ms; null: none).</summary>
    public static void Write(WriteBatch.OpBuilder builder, KeyBuilder key, string collection, string id, long? old, long? next)
    {
        if (old == next)
        {
            return;
        }

        if (old is { } previous)
        {
            builder.Delete(Keyspace.ExpiryEntry(key, previous, collection, id).Span);
        }

        if (next is { } at)
        {
            builder.Put(Keyspace.ExpiryEntry(key, at, collection, id).Span, []);
        }
    }
}
