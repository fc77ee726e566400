using System.Buffers.Binary;
using Quire.Keys;
using Quire.Storage.Engine;

namespace Quire.Query;

/// <summary>The search path's intersection: the documents every term of a SEARCH names, by one merge pass over the terms' entries.</summary>
internal static class SearchIntersection
{
    /// <summary>
    /// The encoded elements present under every prefix (a search term's entries each): each
    /// prefix's entries are in id order, so one merge pass over all of them finds them.
    /// Ids are compared as encoded, whose byte order is the ids' order.
    /// </summary>
    public static IEnumerable<byte[]> Ids(Snapshot snapshot, List<byte[]> prefixes)
    {
        var cursors = prefixes.Select(prefix => snapshot.Cursor(prefix, Keyspace.End(prefix))).ToList();
        try
        {
            foreach (var cursor in cursors)
            {
                if (!cursor.MoveNext())
                {
                    yield break;
                }
            }

            var starts = prefixes.Select(prefix => prefix.Length).ToArray();
            while (Align(cursors, starts))
            {
                yield return cursors[0].Key[starts[0]..].ToArray();
                if (!cursors[0].MoveNext())
                {
                    yield break;
                }
            }
        }
        finally
        {
            foreach (var cursor in cursors)
            {
                cursor.Dispose();
            }
        }
    }

    /// <summary>
    /// Moves the cursors forward until all are on the same id (true) or one runs out
    /// (false): each catches up with the first cursor's id, and one that overshoots moves
    /// the first up to it. <paramref name="starts"/> says where the id starts in each key.
    /// </summary>
    private static bool Align(List<SnapshotCursor> cursors, int[] starts)
    {
        if (cursors.Count == 2)
        {
            return Align(cursors[0], starts[0], cursors[1], starts[1]);
        }

        var lead = cursors[0];
        while (true)
        {
            var aligned = true;
            for (var i = 1; i < cursors.Count; i++)
            {
                var cursor = cursors[i];
                int c;
                while ((c = CompareIds(cursor.Key[starts[i]..], lead.Key[starts[0]..])) < 0)
                {
                    if (!cursor.MoveNext())
                    {
                        return false;
                    }
                }

                if (c > 0)
                {
                    while (CompareIds(lead.Key[starts[0]..], cursor.Key[starts[i]..]) < 0)
                    {
                        if (!lead.MoveNext())
                        {
                            return false;
                        }
                    }

                    aligned = false;
                    break;
                }
            }

            if (aligned)
            {
                return true;
            }
        }
    }

    /// <summary>The two-term case of <see cref="Align(List{SnapshotCursor}, int[])"/>: a plain merge step, each key read once per move.</summary>
    private static bool Align(SnapshotCursor a, int startA, SnapshotCursor b, int startB)
    {
        // Each side's id and its first eight bytes as a number (0 when shorter), read once per move.
        var idA = a.Key[startA..];
        var idB = b.Key[startB..];
        var headA = Head(idA);
        var headB = Head(idB);
        while (true)
        {
            var c = CompareIds(idA, headA, idB, headB);
            if (c == 0)
            {
                return true;
            }

            if (c < 0)
            {
                if (!a.MoveNext(out var key))
                {
                    return false;
                }

                idA = key[startA..];
                headA = Head(idA);
            }
            else
            {
                if (!b.MoveNext(out var key))
                {
                    return false;
                }

                idB = key[startB..];
                headB = Head(idB);
            }
        }
    }

    /// <summary>An id's first eight bytes, big endian (ordered as the ids are when both have eight and they differ), or 0 for a shorter id (then, and on a tie, whole ids are compared).</summary>
    private static ulong Head(ReadOnlySpan<byte> id) => id.Length >= 8 ? BinaryPrimitives.ReadUInt64BigEndian(id) : 0;

    /// <summary>Orders two encoded ids: by their first eight bytes as a number when both have them (ids rarely share more), else byte by byte.</summary>
    private static int CompareIds(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b) => CompareIds(a, Head(a), b, Head(b));

    /// <summary><see cref="CompareIds(ReadOnlySpan{byte}, ReadOnlySpan{byte})"/> with the ids' heads already read.</summary>
    private static int CompareIds(ReadOnlySpan<byte> a, ulong headA, ReadOnlySpan<byte> b, ulong headB) =>
        headA != headB && headA != 0 && headB != 0 ? (headA < headB ? -1 : 1) : a.SequenceCompareTo(b);
}
