namespace Quire.Storage.IO;

/// <summary>Helpers over <see cref="IStorageFile"/> that every reader needs.</summary>
public static class StorageFileExtensions
{
    /// <summary>
    /// Reads until <paramref name="buffer"/> is full or the file ends, because a single
    /// read may return fewer bytes than asked. Returns the number of bytes read.
    /// </summary>
    public static int ReadFully(this IStorageFile file, long offset, Span<byte> buffer)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var n = file.Read(offset + total, buffer[total..]);
            if (n <= 0)
            {
                break;
            }

            total += n;
        }

        return total;
    }
}
