namespace Quire.Storage.Engine;

/// <summary>A batch, key or value exceeds a documented size limit; nothing was applied.</summary>
public sealed class BatchTooLargeException : ArgumentException
{
    /// <summary>Creates the exception with what was too large and the limit.</summary>
    public BatchTooLargeException(string message)
        : base(message)
    {
    }
}
