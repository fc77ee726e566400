using Quire.Server.Service;

namespace Quire.Fuzz.Targets;

/// <summary>Whether an exception is the answer bad input is meant to get: one every transport turns into a client error (HTTP 4xx, RESP <c>-ERR</c>), never a 500.</summary>
internal static class Rejection
{
    public static bool IsClientError(Exception ex) => ServiceErrors.Classify(ex)?.Kind is
        ServiceErrorKind.BadInput or ServiceErrorKind.TooLarge or ServiceErrorKind.NotFound or ServiceErrorKind.Conflict or ServiceErrorKind.PreconditionFailed;
}
