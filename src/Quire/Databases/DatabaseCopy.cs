using System.Buffers.Binary;
using Quire.Storage.Engine;
using Quire.Storage.Format;
using Quire.Storage.IO;

namespace Quire.Databases;

/// <summary>
/// A consistent copy of a whole database as of one seq, read while writes go on (a replica's
/// bootstrap): its header (<c>format.json</c>) and a copy of its storage's durable
/// checkpoint (<see cref="CheckpointCopy"/>). The log after <see cref="Seq"/> is kept while
/// the copy is open, so a replica made from it continues from <see cref="Seq"/> + 1.
/// Open one with <see cref="Database.OpenCopyAsync"/>; make a database of one with
/// <see cref="DatabaseCatalog.ReplaceFromCopyAsync(string, Stream, CancellationToken)"/>. Dispose to release what it holds.
/// </summary>
/// <remarks>The stream: the header's length (4 bytes, little-endian), the header, then the storage copy.</remarks>
public sealed class DatabaseCopy : IDisposable
{
    private const int MaxHeaderBytes = 4096;

    private readonly byte[] _header;
    private readonly CheckpointCopy _storage;

    internal DatabaseCopy(byte[] header, CheckpointCopy storage)
    {
        _header = header;
        _storage = storage;
    }

    /// <summary>The last seq the copy holds (-1: none).</summary>
    public long Seq => _storage.Seq;

    /// <summary>The bytes <see cref="WriteToAsync(Stream, CancellationToken)"/> writes.</summary>
    public long Length => 4 + _header.Length + _storage.Length;

    /// <summary>Writes the copy to <paramref name="destination"/>.</summary>
    public Task WriteToAsync(Stream destination, CancellationToken cancellationToken = default) => WriteToAsync(destination, null, cancellationToken);

    /// <summary>Writes the copy to <paramref name="destination"/>, showing each of its storage's pages to <paramref name="observe"/>.</summary>
    public async Task WriteToAsync(Stream destination, PageFilter? observe, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var length = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(length, _header.Length);
        await destination.WriteAsync(length, cancellationToken).ConfigureAwait(false);
        await destination.WriteAsync(_header, cancellationToken).ConfigureAwait(false);
        await _storage.WriteToAsync(destination, observe, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Writes a page pack of this copy (<see cref="CheckpointCopy.WritePackAsync"/>): the pages
    /// <paramref name="include"/> takes, to be applied after an earlier copy of the same
    /// database by <see cref="DatabaseCatalog.ReplaceFromCopyAsync(string, Stream, IReadOnlyList{Func{CancellationToken, Task{Stream}}}, CancellationToken)"/>. Returns the pages written.
    /// </summary>
    public Task<long> WritePackAsync(Stream destination, PageFilter include, CancellationToken cancellationToken = default) =>
        _storage.WritePackAsync(destination, include, cancellationToken);

    /// <summary>Releases the pages and log the copy held.</summary>
    public void Dispose() => _storage.Dispose();

    /// <summary>Reads a copy into <paramref name="directory"/> (new or empty) and checks its header; the copy's seq.</summary>
    /// <exception cref="CorruptDataException">The stream is not a whole, intact copy.</exception>
    /// <exception cref="IncompatibleFormatException">It was made with formats this build does not read.</exception>
    internal static async Task<long> ReceiveAsync(
        Stream source, IReadOnlyList<Func<CancellationToken, Task<Stream>>> packs, string directory, DatabaseOptions options, CancellationToken cancellationToken)
    {
        var fs = options.Storage.FileSystem;
        byte[] header;
        try
        {
            var length = new byte[4];
            await source.ReadExactlyAsync(length, cancellationToken).ConfigureAwait(false);
            var headerLength = BinaryPrimitives.ReadInt32LittleEndian(length);
            if (headerLength is <= 0 or > MaxHeaderBytes)
            {
                throw new CorruptDataException($"the copy's header of {headerLength} bytes is not a database header", "copy", 0);
            }

            header = new byte[headerLength];
            await source.ReadExactlyAsync(header, cancellationToken).ConfigureAwait(false);
        }
        catch (EndOfStreamException)
        {
            throw new CorruptDataException("the copy ends early", "copy", -1);   // as the storage copy says of its own part
        }
        fs.CreateDirectory(directory);
        using (var file = fs.Open(Path.Combine(directory, FormatRecord.FileName), create: true))
        {
            file.Write(0, header);
            file.SyncData();
        }

        FormatRecord.Check(directory, fs);
        return await CheckpointCopy.ReceiveAsync(source, packs, directory, options.Storage, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The header file's bytes in <paramref name="directory"/>.</summary>
    internal static byte[] ReadHeader(string directory, DatabaseOptions options)
    {
        using var file = options.Storage.FileSystem.Open(Path.Combine(directory, FormatRecord.FileName), create: false);
        var bytes = new byte[MaxHeaderBytes];
        return bytes[..file.ReadFully(0, bytes)];
    }
}
