using Quire.Storage.IO;

namespace Quire.TestSupport;

/// <summary>An open file of a <see cref="FaultyFileSystem"/>.</summary>
internal sealed class FaultyFile(FaultyFileSystem fs, string path, FileNode node) : IStorageFile
{
    private bool _disposed;

    public long Length => fs.Length(node);

    public int Read(long offset, Span<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        fs.Read(node, path, offset, buffer, out var read);
        return read;
    }

    public void Write(long offset, ReadOnlySpan<byte> data)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        fs.Write(node, path, offset, data);
    }

    public void SyncData()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        fs.Sync(node, path);
    }

    public void Dispose() => _disposed = true;
}
