namespace Quire.Files;

/// <summary>A file is larger than <c>DatabaseOptions.MaxFileBytes</c>; nothing was stored.</summary>
public sealed class FileTooLargeException : ArgumentException
{
    /// <summary>Creates the exception.</summary>
    public FileTooLargeException(long size, long limit)
        : base($"a file of {size} bytes exceeds the limit of {limit} bytes")
    {
    }
}
