namespace Quire.Replication.ObjectStore;

/// <summary>The object store refused a request or kept failing it: the message names the operation, the key and the store's answer.</summary>
public sealed class ObjectStoreException : Exception
{
    /// <summary>An exception with <paramref name="message"/>.</summary>
    public ObjectStoreException(string message)
        : base(message)
    {
    }

    /// <summary>An exception with <paramref name="message"/> and its cause.</summary>
    public ObjectStoreException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>An exception with no message.</summary>
    public ObjectStoreException()
    {
    }
}
