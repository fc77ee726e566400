using System.Globalization;

namespace Quire.Bench.Harness;

/// <summary>Bytes this process caused to be written to storage, from /proc/self/io (the kernel's count, the same for every system).</summary>
public static class DiskCounters
{
    public static long WrittenBytes()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/io"))
            {
                if (line.StartsWith("write_bytes:", StringComparison.Ordinal))
                {
                    return long.Parse(line.AsSpan("write_bytes:".Length).Trim(), CultureInfo.InvariantCulture);
                }
            }
        }
        catch (IOException)
        {
        }

        return -1;
    }
}
