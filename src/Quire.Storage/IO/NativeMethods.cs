using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Quire.Storage.IO;

/// <summary>The few POSIX calls .NET does not expose: fdatasync and syncing a directory.</summary>
internal static partial class NativeMethods
{
    private const int ORdOnly = 0;

    // O_DIRECTORY is 0x10000 on x86_64 but 0x4000 on arm64 (which has O_DIRECT at 0x10000).
    private static readonly int ODirectory = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? 0x4000 : 0x10000;

    // SafeFileHandle parameters: the marshaller keeps the handle open for the call.
    [LibraryImport("libc", SetLastError = true)]
    private static partial int fdatasync(SafeFileHandle fd);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int fsync(int fd);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int open(string path, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int close(int fd);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int sync_file_range(SafeFileHandle fd, long offset, long nbytes, uint flags);

    private const uint SyncFileRangeWrite = 2;

    /// <summary>
    /// sync_file_range(SYNC_FILE_RANGE_WRITE): starts writeback of a range and returns.
    /// A hint only (it makes nothing durable), so a failure is ignored: the fdatasync that
    /// must follow reports any real error.
    /// </summary>
    public static void StartWriteback(SafeFileHandle handle, long offset, long length)
    {
        if (OperatingSystem.IsLinux())
        {
            _ = sync_file_range(handle, offset, length, SyncFileRangeWrite);
        }
    }

    public static void SyncData(SafeFileHandle handle, string path)
    {
        // Other platforms: FlushFileBuffers / F_FULLFSYNC through the runtime.
        if (OperatingSystem.IsLinux() && fdatasync(handle) != 0)
        {
            throw Failed($"fdatasync failed on '{path}'");
        }
    }

    public static void SyncDirectory(string path)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        var fd = open(path, ORdOnly | ODirectory);
        if (fd < 0)
        {
            throw Failed($"cannot open directory '{path}' to sync it");
        }

        try
        {
            if (fsync(fd) != 0)
            {
                throw Failed($"fsync of directory '{path}' failed");
            }
        }
        finally
        {
            _ = close(fd);
        }
    }

    /// <summary>The error of the call that just failed, with its errno as the HResult (as .NET's own I/O errors carry it).</summary>
    private static IOException Failed(string what)
    {
        var errno = Marshal.GetLastPInvokeError();
        return new IOException($"{what}: errno {errno}", errno);
    }
}
