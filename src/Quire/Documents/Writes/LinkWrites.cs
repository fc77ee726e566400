using Quire.Keys;
using Quire.Storage.Engine;

namespace Quire.Documents.Writes;

/// <summary>A link: the edge stored in both directions, for neighbours and TRAVERSE one way and for what links to a node the other.</summary>
internal static class LinkWrites
{
    public static void Write(WriteBatch.OpBuilder builder, KeyBuilder key, DocumentOp link)
    {
        builder.Put(Keyspace.Edge(key, Keyspace.LinksOut, link.From, link.Relation, link.To).Span, [])
            .Put(Keyspace.Edge(key, Keyspace.LinksIn, link.To, link.Relation, link.From).Span, []);
    }
}
