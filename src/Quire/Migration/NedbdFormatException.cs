namespace Quire.Migration;

/// <summary>A nedbd data directory cannot be read: a file is malformed, or the key to an encrypted one is missing or wrong.</summary>
public sealed class NedbdFormatException : Exception
{
    /// <summary>An exception with <paramref name="message"/>.</summary>
    public NedbdFormatException(string message)
        : base(message)
    {
    }

    /// <summary>An exception with <paramref name="message"/> and its cause.</summary>
    public NedbdFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>An exception with no message.</summary>
    public NedbdFormatException()
    {
    }
}
