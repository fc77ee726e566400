using Quire.Documents;

namespace Quire.Server.Service;

/// <summary>A request that cannot be served: what kind of failure it is and the message the client sees.</summary>
internal sealed class ServiceException : Exception
{
    /// <summary>Creates the error.</summary>
    public ServiceException(ServiceErrorKind kind, string message, Exception? inner = null)
        : base(message, inner)
    {
        Kind = kind;
    }

    /// <summary>What kind of failure it is.</summary>
    public ServiceErrorKind Kind { get; }

    /// <summary>For <see cref="ServiceErrorKind.PreconditionFailed"/>: every <c>if_seq</c> that did not hold, in op order.</summary>
    public IReadOnlyList<PreconditionFailure> Failures { get; init; } = [];

    /// <summary>For <see cref="ServiceErrorKind.PreconditionFailed"/>: the database's seq when the batch was refused.</summary>
    public long Seq { get; init; } = -1;

    /// <summary>A malformed request.</summary>
    public static ServiceException BadInput(string message) => new(ServiceErrorKind.BadInput, message);

    /// <summary>Something the request names does not exist.</summary>
    public static ServiceException NotFound(string message) => new(ServiceErrorKind.NotFound, message);
}
