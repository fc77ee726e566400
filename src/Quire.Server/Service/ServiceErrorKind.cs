namespace Quire.Server.Service;

/// <summary>What went wrong with a request, in terms every transport maps to its own form (an HTTP status, a RESP error).</summary>
internal enum ServiceErrorKind
{
    /// <summary>The request is malformed or names something invalid; nothing changed.</summary>
    BadInput,

    /// <summary>The request lacks the credentials the server needs.</summary>
    Unauthorized,

    /// <summary>What the request names does not exist.</summary>
    NotFound,

    /// <summary>The request clashes with what exists (a database of that name, a replayed nonce).</summary>
    Conflict,

    /// <summary>An <c>if_seq</c> did not hold; <see cref="ServiceException.Failures"/> lists every failure.</summary>
    PreconditionFailed,

    /// <summary>The request or what it writes is larger than the limit.</summary>
    TooLarge,

    /// <summary>The commit queue stayed full for the whole wait, or what the write read kept changing: retry later.</summary>
    Busy,

    /// <summary>The server or database does not take writes (a replica, a database turned read-only).</summary>
    ReadOnly,

    /// <summary>The write is durable here, but the synchronous replicas it must reach did not confirm it in time.</summary>
    Unavailable,

    /// <summary>Storage failed (a write or fsync error): the database is read-only until restarted.</summary>
    StorageFailed,

    /// <summary>The disk is full: the database takes no writes until space is freed and the server restarted; reads go on.</summary>
    DiskFull,

    /// <summary>A query read for longer than its time limit and was stopped.</summary>
    TimedOut,

    /// <summary>The client went away before the answer.</summary>
    Cancelled,
}
