using System.Globalization;

namespace Quire.Bench.Harness;

/// <summary>
/// Bytes written to the block device that holds the temp dir, from
/// /sys/dev/block/MAJ:MIN/stat. Not /proc/self/io: with large page-cache folios the
/// kernel charges a whole folio (up to 2 MiB) there for a 200-byte write into a
/// pre-written file, while the device sees one 4 KiB block.
/// </summary>
public static class DiskCounters
{
    private static readonly string? StatPath = FindStatPath(Path.GetTempPath());

    public static long WrittenBytes()
    {
        try
        {
            if (StatPath is null)
            {
                return -1;
            }

            var fields = File.ReadAllText(StatPath).Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return long.Parse(fields[6], CultureInfo.InvariantCulture) * 512; // sectors written
        }
        catch (IOException)
        {
            return -1;
        }
    }

    private static string? FindStatPath(string path)
    {
        try
        {
            // mountinfo: id parent MAJ:MIN root mountpoint ...; the longest mount point containing the path wins.
            var best = File.ReadLines("/proc/self/mountinfo")
                .Select(line => line.Split(' '))
                .Where(f => f.Length > 4 && path.StartsWith(f[4].TrimEnd('/') + "/", StringComparison.Ordinal))
                .MaxBy(f => f[4].Length);
            var stat = best is null ? null : $"/sys/dev/block/{best[2]}/stat";
            return stat is not null && File.Exists(stat) ? stat : null;
        }
        catch (IOException)
        {
            return null;
        }
    }
}
