using System.Diagnostics;
using Microsoft.Win32.SafeHandles;
using Quire.Storage.IO;

namespace Quire.Bench.Log;

/// <summary>The disk's raw rate: a 4 KiB write + fdatasync in a loop, appending (the file grows) or into pre-written space.</summary>
public static class DiskFsync
{
    public static double Append(string directory, TimeSpan duration)
    {
        var path = Path.Combine(directory, "fsync-append.bin");
        using var handle = File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite);
        return Loop(handle, path, duration, grow: true);
    }

    public static double Prewritten(string directory, TimeSpan duration, long size)
    {
        var path = Path.Combine(directory, "fsync-prewritten.bin");
        using var handle = File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite);
        PreWrite(handle, path, size);
        return Loop(handle, path, duration, grow: false, size);
    }

    public static void PreWrite(SafeFileHandle handle, string path, long size)
    {
        var zeros = new byte[1 << 20];
        for (long offset = 0; offset < size; offset += zeros.Length)
        {
            RandomAccess.Write(handle, zeros.AsSpan(0, (int)Math.Min(zeros.Length, size - offset)), offset);
        }

        NativeMethods.SyncData(handle, path);
    }

    private static double Loop(SafeFileHandle handle, string path, TimeSpan duration, bool grow, long size = 0)
    {
        var block = new byte[4096];
        new Random(3).NextBytes(block);
        long offset = 0;
        long count = 0;
        var started = Stopwatch.GetTimestamp();
        while (Stopwatch.GetElapsedTime(started) < duration)
        {
            RandomAccess.Write(handle, block, offset);
            NativeMethods.SyncData(handle, path);
            offset += block.Length;
            if (!grow && offset + block.Length > size)
            {
                offset = 0;
            }

            count++;
        }

        return count / Stopwatch.GetElapsedTime(started).TotalSeconds;
    }
}
