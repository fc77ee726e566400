using Quire.Documents;
using Quire.Keys;
using Quire.OpLog;

namespace Quire.Databases;

/// <summary>What a database holds, read from one snapshot: row counts, relations, a node's neighbours, op proofs.</summary>
public sealed partial class Database
{
    /// <summary>Each collection's number of documents (expired ones not counted), by name; collections without documents are absent.</summary>
    /// <remarks>Reads every document key: its cost grows with the database (nedbd's summary counts the same way).</remarks>
    public IReadOnlyDictionary<string, long> RowCounts()
    {
        var counts = new SortedDictionary<string, long>(StringComparer.Ordinal);
        var nowMs = NowMs;
        byte[] from = [Keyspace.Collections];
        byte[] end = [Keyspace.Collections + 1];
        using var snapshot = Engine.OpenSnapshot();
        using var cursor = snapshot.Cursor(from, end);
        string? collection = null;
        long count = 0;
        while (cursor.MoveNext())
        {
            var reader = new KeyReader(cursor.Key);
            reader.Byte();
            var name = reader.String();
            if (reader.UInt32() != Keyspace.DocumentsId || DocumentCodec.IsExpired(cursor.Value, nowMs))
            {
                continue;   // an index entry, or a document that reads as absent
            }

            if (name != collection)
            {
                Flush();
                (collection, count) = (name, 0);
            }

            count++;
        }

        Flush();
        return counts;

        void Flush()
        {
            if (collection is not null && count > 0)
            {
                counts[collection] = count;
            }
        }
    }

    /// <summary>
    /// The distinct collection-level edges of the link graph: for each link, the part of its
    /// ends before the first ':' (the whole end when it has none) and its relation, in order.
    /// </summary>
    public IReadOnlyList<(string From, string Relation, string To)> Relations()
    {
        var relations = new SortedSet<(string, string, string)>();
        using var snapshot = Engine.OpenSnapshot();
        foreach (var entry in snapshot.Scan([Keyspace.LinksOut], [Keyspace.LinksOut + 1]))
        {
            var reader = new KeyReader(entry.Key);
            reader.Byte();
            var (from, relation, to) = (reader.String(), reader.String(), reader.String());
            relations.Add((CollectionOf(from), relation, CollectionOf(to)));
        }

        return [.. relations];

        static string CollectionOf(string node) => node.IndexOf(':', StringComparison.Ordinal) is var colon and >= 0 ? node[..colon] : node;
    }

    /// <summary>The nodes <paramref name="node"/> links to by <paramref name="relation"/> (outbound edges, as nedbd's <c>neighbors</c>), in order.</summary>
    public IReadOnlyList<string> Neighbors(string node, string relation)
    {
        Names.CheckLinkPart("node", node);
        Names.CheckLinkPart("rel", relation);
        var prefix = new KeyBuilder().Byte(Keyspace.LinksOut).String(node).String(relation).ToArray();
        var nodes = new List<string>();
        using var snapshot = Engine.OpenSnapshot();
        foreach (var entry in snapshot.Scan(prefix, Keyspace.End(prefix)))
        {
            var reader = new KeyReader(entry.Key, prefix.Length);
            nodes.Add(reader.String());
        }

        return nodes;
    }

    /// <summary>The inclusion proof of the op whose chain hash is <paramref name="hash"/> (64 hex digits), or null when no retained op has it.</summary>
    public OpProof? Proof(string hash)
    {
        using var snapshot = Engine.OpenSnapshot();
        return OpLogReader.Proof(snapshot, hash.ToLowerInvariant());
    }

    /// <summary>True when the database's pages and log are sealed with its own data key (it was created with a master key).</summary>
    public bool IsEncrypted => Engine.IsEncrypted;

    /// <summary>Seals bytes kept outside the database (its archive's objects) under its data key, bound to <paramref name="context"/>; only for an encrypted database.</summary>
    /// <exception cref="InvalidOperationException">The database is not encrypted.</exception>
    public byte[] SealExternal(ReadOnlySpan<byte> plain, string context) => Engine.SealExternal(plain, context);

    /// <summary>Opens what <see cref="SealExternal"/> sealed under <paramref name="context"/>.</summary>
    /// <exception cref="Storage.Format.CorruptDataException">It fails its tag.</exception>
    public byte[] OpenExternal(ReadOnlySpan<byte> sealedBytes, string context) => Engine.OpenExternal(sealedBytes, context);

    /// <summary>The database's UUID, made when it was created and kept by its copies.</summary>
    public Guid DatabaseId => Engine.Identity.DatabaseId;

    /// <summary>True once a checkpoint has been written (the database opens from it).</summary>
    public bool HasCheckpoint => Engine.CheckpointedSeq >= 0;
}
