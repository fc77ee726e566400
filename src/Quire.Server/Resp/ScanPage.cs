using System.Globalization;

namespace Quire.Server.Resp;

/// <summary>
/// One call of SCAN, HSCAN or SSCAN: <c>cursor [MATCH pattern] [COUNT n] [TYPE t]</c> read
/// from the arguments at <c>start</c>, then up to n entries looked at in order from where the
/// cursor stopped (<see cref="ScanCursors"/>, in <c>scope</c>); the reply is the next cursor
/// (0 at the end) and the entries that matched.
/// </summary>
internal static class ScanPage
{
    /// <summary>An entry a scan walks: the name MATCH is tried on, the items it adds to the reply, and where it is.</summary>
    public readonly record struct Entry(byte[] Name, string? Type, Func<IEnumerable<RespReply>> Items, string Position);

    /// <param name="args">The command's arguments; the cursor is at <paramref name="start"/>.</param>
    /// <param name="start">Where the cursor argument is.</param>
    /// <param name="scope">What cursors of this walk belong to (a database, a collection of one).</param>
    /// <param name="allowType">Whether TYPE is an option (SCAN's only).</param>
    /// <param name="entries">The entries after a position (null: from the start).</param>
    public static RespReply Run(byte[][] args, int start, string scope, bool allowType, Func<string?, IEnumerable<Entry>> entries)
    {
        if (!ulong.TryParse(args[start], NumberStyles.None, CultureInfo.InvariantCulture, out var cursor))
        {
            return RespReply.Error("ERR invalid cursor");
        }

        byte[]? pattern = null;
        var count = 10;
        string? type = null;
        for (var i = start + 1; i < args.Length; i += 2)
        {
            if (i + 1 >= args.Length)
            {
                return RespReply.Syntax;
            }

            if (RespArgs.Is(args[i], "MATCH"))
            {
                pattern = args[i + 1];
            }
            else if (RespArgs.Is(args[i], "COUNT"))
            {
                if (!RespArgs.TryInteger(args[i + 1], out var n) || n < 1)
                {
                    return n < 1 && RespArgs.TryInteger(args[i + 1], out _) ? RespReply.Syntax : RespReply.NotInteger;
                }

                count = (int)Math.Min(n, 100_000);
            }
            else if (allowType && RespArgs.Is(args[i], "TYPE"))
            {
                type = RespArgs.Text(args[i + 1]).ToLowerInvariant();
            }
            else
            {
                return RespReply.Syntax;
            }
        }

        string? after = null;
        if (cursor != 0 && !ScanCursors.TryTake(cursor, scope, out after))
        {
            return RespReply.Error("ERR invalid cursor");
        }

        var items = new List<RespReply>();
        string? last = null;
        var looked = 0;
        foreach (var entry in entries(after))
        {
            last = entry.Position;
            if ((pattern is null || RedisGlob.Matches(pattern, entry.Name)) && (type is null || type == entry.Type))
            {
                items.AddRange(entry.Items());
            }

            if (++looked == count)
            {
                break;
            }
        }

        var next = looked == count && last is not null ? ScanCursors.Save(scope, last) : 0UL;
        return RespReply.Array([RespReply.Bulk(next.ToString(CultureInfo.InvariantCulture)), RespReply.Array([.. items])]);
    }
}
