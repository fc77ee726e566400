using Quire.Documents;
using Quire.Indexes;
using Quire.Keys;
using Quire.Storage.Engine;

namespace Quire.Query;

/// <summary>Reading rows: a candidate's document, live and unexpired, kept only if it passes the residual conditions and SEARCH.</summary>
internal sealed partial class QueryExecutor
{
    /// <summary>The encoded id that ends an index entry's key: the element after the value.</summary>
    private static ReadOnlySpan<byte> IdElement(ReadOnlySpan<byte> key, int indexPrefixLength)
    {
        var reader = new KeyReader(key, indexPrefixLength);
        reader.Skip();
        return key[reader.Position..];
    }

    /// <summary>A document's key from its collection's prefix and its encoded id (valid until the next call).</summary>
    private ReadOnlySpan<byte> DocumentKey(byte[] documents, ReadOnlySpan<byte> idElement)
    {
        var length = documents.Length + idElement.Length;
        if (_documentKey.Length < length)
        {
            _documentKey = new byte[Math.Max(length, _documentKey.Length * 2)];
        }

        documents.CopyTo(_documentKey, 0);
        idElement.CopyTo(_documentKey.AsSpan(documents.Length));
        return _documentKey.AsSpan(0, length);
    }

    /// <summary>The document <paramref name="id"/> of <paramref name="collection"/>, as <see cref="Read"/> gives it.</summary>
    private QueryRow? ReadDocument(string collection, string id, bool filter = true)
    {
        var idStart = Keyspace.Prefix(_readKey.Clear(), collection, Keyspace.DocumentsId).Length;
        var row = Read(_readKey.String(id).Span, idStart, filter);
        if (row is not null && collection != _plan.Collection)
        {
            row.Collection = collection;
        }

        return row;
    }

    /// <summary>The live, unexpired document at <paramref name="key"/> if it passes the residual conditions (unless <paramref name="filter"/> is false).</summary>
    private QueryRow? Read(ReadOnlySpan<byte> key, int idStart, bool filter = true)
    {
        Examine();
        var reader = _reader ??= _snapshot.Cursor();
        return reader.TryFind(key) ? Accept(reader, key[idStart..], filter) : null;
    }

    /// <summary>
    /// The document the cursor is on as a row, or null when it expired or fails a residual
    /// condition. Conditions are checked on the stored bytes where they can be, so a
    /// document is copied out of the tree only when it passes.
    /// </summary>
    private QueryRow? Accept(SnapshotCursor at, ReadOnlySpan<byte> idElement, bool filter = true)
    {
        var stored = at.Value;
        if (DocumentCodec.IsExpired(stored, _nowMs))
        {
            return null;
        }

        var version = at.Version;
        var json = DocumentCodec.Json(stored);
        QueryRow? row = null;
        foreach (var condition in filter ? _conditions : [])
        {
            switch (condition.TryMatch(json, version))
            {
                case true:
                    continue;
                case false:
                    row?.Dispose();
                    return null;
            }

            row ??= new QueryRow(DocumentCodec.WithSeq(stored, version), version, idElement.ToArray());
            if (!NqlSemantics.Matches(row.Document.RootElement, condition.Condition))
            {
                row.Dispose();
                return null;
            }
        }

        row ??= new QueryRow(DocumentCodec.WithSeq(stored, version), version, idElement.ToArray());

        // The search path intersects every term's entries, which is the whole of SEARCH.
        if (filter && _plan.Query.Search is { } search && _plan.Access != AccessPath.SearchIndex
            && !(_schema.Indexes.Any(i => i.Kind == IndexKind.Search && i.Ready)
                ? NqlSemantics.MatchesSearch(row.Document.RootElement, search, _schema.Indexes.Where(i => i.Kind == IndexKind.Search && i.Ready).Select(i => i.Field))
                : NqlSemantics.MatchesSearchWithoutIndex(row.Document.RootElement, search)))
        {
            row.Dispose();
            return null;
        }

        return row;
    }
}
