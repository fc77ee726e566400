using System.Text;
using Quire.Indexes;
using Quire.Keys;
using Quire.Storage.Engine;

namespace Quire.Query;

/// <summary>The access paths: where a plan's candidate documents come from, in the path's order.</summary>
internal sealed partial class QueryExecutor
{
    /// <summary>The documents the access path gives, in its order, that pass every residual condition (absent and expired ones skipped).</summary>
    private IEnumerable<QueryRow> Candidates()
    {
        var collection = _plan.Collection;
        var documents = Keyspace.Prefix(new KeyBuilder(), collection, Keyspace.DocumentsId).ToArray();
        var indexPrefix = _plan.Index is { } index ? Keyspace.Prefix(new KeyBuilder(), collection, index.Id).ToArray() : [];
        switch (_plan.Access)
        {
            case AccessPath.PrimaryKey:
            {
                if (ReadDocument(collection, _plan.Served[0].Value.Text) is { } row)
                {
                    yield return row;
                }

                break;
            }

            case AccessPath.IndexEquality:
            {
                var prefix = NqlSemantics.EncodeRegion(Keyspace.Prefix(_key, collection, _plan.Index!.Id), _plan.Served[0].Value).ToArray();
                if (MayBeCut(_plan.Served[0].Value))
                {
                    // Whole and cut values share the region: an id may come twice and out of order.
                    foreach (var row in ReadAll(documents, IdsInOrder([(prefix, Keyspace.End(prefix))], indexPrefix.Length)))
                    {
                        yield return row;
                    }

                    break;
                }

                foreach (var row in ReadIndexed(documents, prefix, Keyspace.End(prefix), indexPrefix.Length, reverse: false))
                {
                    yield return row;
                }

                break;
            }

            case AccessPath.SortedEquality:
            {
                // The value's entries, and those of arrays and objects (which may hold it), in id order.
                var prefix = NqlSemantics.EncodeRegion(Keyspace.Prefix(_key, collection, _plan.Index!.Id), _plan.Served[0].Value).ToArray();
                var ids = IdsInOrder([(prefix, Keyspace.End(prefix)), ([.. indexPrefix, KeyTags.Composite], [.. indexPrefix, KeyTags.Composite + 1])], indexPrefix.Length);
                foreach (var row in ReadAll(documents, ids))
                {
                    yield return row;
                }

                break;
            }

            case AccessPath.SortedRange or AccessPath.SortedOrder:
            {
                var (from, to) = _plan.Range ?? throw new InvalidOperationException("a sorted range plan without its key range");
                foreach (var row in ReadIndexed(documents, from, to, indexPrefix.Length, _plan.Reverse))
                {
                    yield return row;
                }

                break;
            }

            case AccessPath.SearchIndex:
            {
                var terms = TextAnalyzer.Terms(_plan.Query.Search!);
                if (terms.Count == 0)
                {
                    yield break;
                }

                var prefixes = terms.Select(term => Keyspace.Prefix(new KeyBuilder(), collection, _plan.Index!.Id).String(term).ToArray()).ToList();
                foreach (var row in ReadAll(documents, IdsOfNumbers(collection, SearchIntersection.Ids(_snapshot, prefixes))))
                {
                    yield return row;
                }

                break;
            }

            default:
            {
                // A full scan, or a range of ids.
                var (from, to) = _plan.Range is { } ids && _plan.Access == AccessPath.PrimaryRange ? (ids.From, ids.To) : (documents, Keyspace.End(documents));
                using var scan = _snapshot.Cursor(from, to);
                while (scan.MoveNext())
                {
                    Examine();
                    if (Accept(scan, scan.Key[documents.Length..]) is { } row)
                    {
                        yield return row;
                    }
                }

                break;
            }
        }
    }

    /// <summary>
    /// True when an index may hold other values under this literal's key: a string of the
    /// cut length or longer shares its key region with longer strings of the same prefix, and
    /// a number longer than a key keeps shares its region with numbers of the same first digits.
    /// </summary>
    private static bool MayBeCut(NqlValue literal) => literal.Kind switch
    {
        NqlValueKind.String => Encoding.UTF8.GetByteCount(literal.Text) >= KeyBuilder.MaxIndexedStringBytes,
        NqlValueKind.Number => NqlSemantics.IsLongNumber(literal),
        _ => false,
    };

    /// <summary>The documents whose ids end the index entries in a range, in the range's order.</summary>
    private IEnumerable<QueryRow> ReadIndexed(byte[] documents, byte[] from, byte[] to, int indexPrefixLength, bool reverse)
    {
        if (from.AsSpan().SequenceCompareTo(to) >= 0)
        {
            yield break;
        }

        using var entries = _snapshot.Cursor(from, to, reverse);
        while (entries.MoveNext())
        {
            var row = Read(DocumentKey(documents, IdElement(entries.Key, indexPrefixLength)), documents.Length);
            if (row is not null)
            {
                yield return row;
            }
        }
    }

    /// <summary>The documents of the encoded ids given, in that order.</summary>
    private IEnumerable<QueryRow> ReadAll(byte[] documents, IEnumerable<byte[]> ids)
    {
        foreach (var id in ids)
        {
            if (Read(DocumentKey(documents, id), documents.Length) is { } row)
            {
                yield return row;
            }
        }
    }

    /// <summary>The encoded ids ending the index entries of several ranges, each once, in id order.</summary>
    private List<byte[]> IdsInOrder(List<(byte[] From, byte[] To)> ranges, int indexPrefixLength)
    {
        var ids = new SortedSet<byte[]>(ByteArrayComparer.Instance);
        foreach (var (from, to) in ranges)
        {
            if (from.AsSpan().SequenceCompareTo(to) >= 0)
            {
                continue;
            }

            using var entries = _snapshot.Cursor(from, to);
            while (entries.MoveNext())
            {
                ids.Add(IdElement(entries.Key, indexPrefixLength).ToArray());
            }
        }

        return [.. ids];
    }

    /// <summary>The encoded ids of the documents that search numbers name, in the numbers' order.</summary>
    private IEnumerable<byte[]> IdsOfNumbers(string collection, IEnumerable<byte[]> numbers)
    {
        var prefixLength = Keyspace.Prefix(_readKey.Clear(), collection, Keyspace.SearchNumbersId).Length;
        var slot = new byte[prefixLength + SearchNumbers.ElementLength];
        _readKey.Span.CopyTo(slot);
        using var slots = _snapshot.Cursor();
        foreach (var number in numbers)
        {
            number.CopyTo(slot, prefixLength);
            if (slots.TryFind(slot))
            {
                yield return slots.Value.ToArray();
            }
        }
    }
}
