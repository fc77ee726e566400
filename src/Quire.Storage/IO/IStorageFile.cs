namespace Quire.Storage.IO;

/// <summary>
/// A file addressed by offset. Writes are durable only after <see cref="SyncData"/>
/// returns; a failed sync means the data may be lost even if a later sync succeeds.
/// </summary>
public interface IStorageFile : IDisposable
{
    /// <summary>The file's length in bytes.</summary>
    long Length { get; }

    /// <summary>Reads up to <paramref name="buffer"/>.Length bytes at <paramref name="offset"/>;
    /// returns how many were read, which may be fewer (a short read) and is 0 at the end.</summary>
    int Read(long offset, Span<byte> buffer);

    /// <summary>Writes all of <paramref name="data"/> at <paramref name="offset"/>.</summary>
    void Write(long offset, ReadOnlySpan<byte> data);

    /// <summary>Makes every write so far durable (fdatasync).</summary>
    void SyncData();

    /// <summary>
    /// Asks the OS to start writing a range just written to the device, without waiting
    /// and without making it durable: a later <see cref="SyncData"/> then has less to
    /// wait for. Only a hint; files that cannot take it ignore it.
    /// </summary>
    void StartWriteback(long offset, long length)
    {
    }
}
