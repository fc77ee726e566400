namespace Quire.Server.Http;

/// <summary>A request that ends in an error response: the status and the <c>{"error": ...}</c> message.</summary>
internal sealed class HttpStatusException : Exception
{
    /// <summary>Creates the error.</summary>
    public HttpStatusException(int status, string message)
        : base(message)
    {
        Status = status;
    }

    /// <summary>The HTTP status.</summary>
    public int Status { get; }
}
