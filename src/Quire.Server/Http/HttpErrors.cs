using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Quire.Server.Service;

namespace Quire.Server.Http;

/// <summary>How a <see cref="ServiceException"/> reads over HTTP: nedbd's status codes and <c>{"error": ...}</c> bodies.</summary>
internal static class HttpErrors
{
    /// <summary>The HTTP status of a kind of failure.</summary>
    public static int Status(ServiceErrorKind kind) => kind switch
    {
        ServiceErrorKind.BadInput => 400,
        ServiceErrorKind.Unauthorized => 401,
        ServiceErrorKind.NotFound => 404,
        ServiceErrorKind.Conflict or ServiceErrorKind.PreconditionFailed => 409,
        ServiceErrorKind.TooLarge => 413,
        ServiceErrorKind.Busy => 429,
        ServiceErrorKind.Cancelled => 499,
        ServiceErrorKind.DiskFull => 507,
        ServiceErrorKind.ReadOnly => 403,
        ServiceErrorKind.StorageFailed or ServiceErrorKind.Unavailable or ServiceErrorKind.TimedOut => 503,
        _ => 500,
    };

    /// <summary>Writes the error; a refused precondition lists every failure, as nedbd's 409 does.</summary>
    public static Task WriteAsync(HttpContext context, ServiceException error)
    {
        if (error.Kind == ServiceErrorKind.Busy)
        {
            context.Response.Headers.RetryAfter = "1";
        }

        if (error.Kind != ServiceErrorKind.PreconditionFailed)
        {
            return JsonResponse.ErrorAsync(context, Status(error.Kind), error.Message);
        }

        return JsonResponse.WriteAsync(context, 409, w => WritePreconditionFailure(w, error));
    }

    private static void WritePreconditionFailure(Utf8JsonWriter w, ServiceException failed)
    {
        w.WriteStartObject();
        w.WriteString("error", "precondition_failed");
        w.WriteStartArray("failures");
        foreach (var f in failed.Failures)
        {
            w.WriteStartObject();
            w.WriteNumber("index", f.Index);
            w.WriteString("coll", f.Collection);
            w.WriteString("id", f.Id);
            w.WriteNumber("expected", f.Expected);
            if (f.Actual is { } actual)
            {
                w.WriteNumber("actual", actual);
            }
            else
            {
                w.WriteNull("actual");
            }

            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteNumber("seq", failed.Seq);
        w.WriteEndObject();
    }
}
