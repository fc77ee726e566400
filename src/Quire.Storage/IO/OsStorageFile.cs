using Microsoft.Win32.SafeHandles;

namespace Quire.Storage.IO;

/// <summary>A file on the real file system, read and written by offset.</summary>
internal sealed class OsStorageFile : IStorageFile
{
    private readonly SafeFileHandle _handle;
    private readonly string _path;

    public OsStorageFile(string path, FileMode mode)
    {
        _path = path;
        _handle = File.OpenHandle(path, mode, FileAccess.ReadWrite, FileShare.Read);
    }

    public long Length => RandomAccess.GetLength(_handle);

    public int Read(long offset, Span<byte> buffer) => RandomAccess.Read(_handle, buffer, offset);

    public void Write(long offset, ReadOnlySpan<byte> data) => RandomAccess.Write(_handle, data, offset);

    public void SyncData() => NativeMethods.SyncData(_handle, _path);

    public void StartWriteback(long offset, long length) => NativeMethods.StartWriteback(_handle, offset, length);

    public void Dispose() => _handle.Dispose();
}
