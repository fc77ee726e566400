using Quire.Databases;
using Quire.Documents;
using Quire.Files;
using Quire.Indexes;
using Quire.Mongo;
using Quire.OpLog;
using Quire.Query;
using Quire.Storage.Engine;

namespace Quire.Server.Service;

/// <summary>
/// Maps what the documents and storage layers throw to a <see cref="ServiceException"/>, by
/// exception type (never by message text), so no transport needs to know those layers'
/// exceptions. Anything unknown is an internal error, which the transport logs.
/// </summary>
internal static class ServiceErrors
{
    /// <summary>The service error for <paramref name="ex"/>, or null for an internal error.</summary>
    public static ServiceException? Classify(Exception ex) => ex switch
    {
        ServiceException e => e,
        DatabaseNotFoundException e => new(ServiceErrorKind.NotFound, e.Message, e),
        DatabaseExistsException e => new(ServiceErrorKind.Conflict, e.Message, e),
        NonceReplayException e => new(ServiceErrorKind.Conflict, e.Message, e),
        Documents.PreconditionFailedException e => new(ServiceErrorKind.PreconditionFailed, "precondition_failed", e) { Failures = e.Failures, Seq = e.Seq },
        NqlException or NqlSyntaxException => new(ServiceErrorKind.BadInput, $"NQL error: {ex.Message}", ex),
        InvalidOpException { OpIndex: null } e => new(ServiceErrorKind.BadInput, $"bad op: {e.Detail}", e),
        InvalidOpException e => new(ServiceErrorKind.BadInput, e.Message, e),
        InvalidNameException or InvalidDocumentException or InvalidIndexException or MongoException => new(ServiceErrorKind.BadInput, ex.Message, ex),
        HistoryGoneException e => new(ServiceErrorKind.BadInput, e.Message, e),
        BatchTooLargeException e => new(ServiceErrorKind.TooLarge, e.Message, e),
        FileTooLargeException e => new(ServiceErrorKind.TooLarge, e.Message, e),
        ReadOnlyEngineException e => new(ServiceErrorKind.ReadOnly, e.Message, e),
        Storage.Crypto.EncryptionKeyException e => new(ServiceErrorKind.Unavailable, $"the database cannot be opened: {e.Message}", e),
        StorageFailedException { DiskFull: true } e => new(ServiceErrorKind.DiskFull, "the disk is full: this database takes no writes until space is freed and the server restarted; reads go on", e),
        StorageFailedException e => new(ServiceErrorKind.StorageFailed, "storage failed: the database is read-only until restarted", e),
        SnapshotExpiredException e => new(ServiceErrorKind.TimedOut, $"the query held its snapshot too long: {e.Message}", e),
        TimeoutException e => new(ServiceErrorKind.Busy, "the documents this write reads kept changing: retry", e),
        OperationCanceledException e => new(ServiceErrorKind.Cancelled, "request cancelled", e),
        ObjectDisposedException e when e.ObjectName.StartsWith("Quire.", StringComparison.Ordinal) =>
            new(ServiceErrorKind.NotFound, "the database was closed while this request ran: it was dropped, replaced or the server is stopping", e),
        _ => null,
    };
}
