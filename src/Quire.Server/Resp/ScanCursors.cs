using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace Quire.Server.Resp;

/// <summary>
/// SCAN's cursors: Redis hands out a number and takes it back on the next call, from any
/// connection. Quire's keys are read in id order, so a cursor stands for the last id
/// returned (in its database): numbers drawn at random, mapped to where to resume. At most
/// <see cref="Capacity"/> are kept; past that the table starts again, and an older
/// cursor is answered <c>ERR invalid cursor</c>.
/// </summary>
internal static class ScanCursors
{
    public const int Capacity = 100_000;

    private static readonly ConcurrentDictionary<ulong, (string Database, string LastId)> Open = new();

    /// <summary>A cursor that resumes after <paramref name="lastId"/> in <paramref name="database"/>.</summary>
    public static ulong Save(string database, string lastId)
    {
        if (Open.Count >= Capacity)
        {
            Open.Clear();
        }

        while (true)
        {
            var cursor = BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(8)) >> 1;   // under 2^63: every client parses it
            if (cursor != 0 && Open.TryAdd(cursor, (database, lastId)))
            {
                return cursor;
            }
        }
    }

    /// <summary>Where <paramref name="cursor"/> resumes in <paramref name="database"/>; false for a cursor not handed out (or of another database).</summary>
    public static bool TryTake(ulong cursor, string database, out string lastId)
    {
        lastId = "";
        if (!Open.TryRemove(cursor, out var at) || at.Database != database)
        {
            return false;
        }

        lastId = at.LastId;
        return true;
    }
}
