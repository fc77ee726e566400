using Microsoft.AspNetCore.Http;

namespace Quire.Server.Http;

/// <summary>
/// Keeps web pages from driving a server they were not meant to. A browser sends a
/// cross-origin POST with <c>Content-Type: text/plain</c> without asking first, so CORS
/// headers alone do not stop it doing something; this refuses it before anything runs.
/// Without a token, a request carrying an <c>Origin</c> that is neither this server's own
/// nor one of <c>--cors-origins</c> is refused (403, no CORS headers), and an allowed one
/// gets its origin back in <c>Access-Control-Allow-Origin</c>; with a token every origin gets
/// nedbd's <c>*</c> (a page still needs the token). On a server bound to loopback, a request
/// whose <c>Host</c> is not a loopback name is refused: a DNS-rebinding page sends its own.
/// </summary>
internal sealed class BrowserGuard(bool tokenRequired, IReadOnlyCollection<string> allowedOrigins, bool loopbackOnly)
{
    private readonly HashSet<string> _allowed = new(allowedOrigins.Select(o => o.TrimEnd('/')), StringComparer.OrdinalIgnoreCase);

    /// <summary>Sets the response's CORS headers and returns null when the request may go on, else why it is refused.</summary>
    public string? Check(HttpContext context)
    {
        var request = context.Request;
        if (loopbackOnly && !IsLoopbackName(request.Host.Host))
        {
            return $"Host '{request.Host}' is not a name of this server (it listens on loopback only): refused, as a DNS-rebinding web page would send it";
        }

        if (tokenRequired)
        {
            context.Response.Headers.AccessControlAllowOrigin = "*";
            return null;
        }

        var origin = request.Headers.Origin.ToString();
        if (origin.Length == 0)
        {
            return null;   // not a browser's cross-origin request
        }

        if (_allowed.Contains("*") || _allowed.Contains(origin) || string.Equals(origin, $"{request.Scheme}://{request.Host}", StringComparison.OrdinalIgnoreCase))
        {
            context.Response.Headers.AccessControlAllowOrigin = origin;
            context.Response.Headers.Vary = "Origin";
            return null;
        }

        return $"a request from the web page at {origin} is refused: this server has no token; allow that page with --cors-origins {origin}, or set a token";
    }

    private static bool IsLoopbackName(string host) =>
        host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
        || (System.Net.IPAddress.TryParse(host.Trim('[', ']'), out var address) && System.Net.IPAddress.IsLoopback(address));
}
