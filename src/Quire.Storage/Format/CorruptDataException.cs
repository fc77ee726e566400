namespace Quire.Storage.Format;

/// <summary>
/// Data on disk failed its checksum or is inconsistent somewhere other than a torn
/// tail. Quire refuses to open rather than serve it; the message says where.
/// </summary>
public sealed class CorruptDataException : IOException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong.</param>
    /// <param name="path">The file.</param>
    /// <param name="offset">The byte offset in the file, or -1 when not known.</param>
    public CorruptDataException(string message, string path, long offset)
        : base(offset >= 0 ? $"{message} (in '{path}' at offset {offset})" : $"{message} (in '{path}')")
    {
        Path = path;
        Offset = offset;
    }

    /// <summary>The corrupt file.</summary>
    public string Path { get; }

    /// <summary>Where in the file, or -1.</summary>
    public long Offset { get; }
}
