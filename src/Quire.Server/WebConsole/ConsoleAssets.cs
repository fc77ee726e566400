using System.Reflection;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;

namespace Quire.Server.WebConsole;

/// <summary>
/// The web console's files (<c>assets/</c>: one page, its script and its style), embedded in
/// the server's assembly and served at <c>/ui/</c> with no CDN. They hold no data, so they
/// need no token: the page asks for one and sends it with every API call. A strict content
/// security policy keeps the page to this server's own script and API.
/// </summary>
internal static class ConsoleAssets
{
    private const string Prefix = "quire-console/";

    private static readonly Dictionary<string, (byte[] Bytes, string Type, string ETag)> Files = Load();

    /// <summary>Whether a GET of <c>/</c> comes from a browser (it asks for HTML), which is sent to the console.</summary>
    public static bool WantsHtml(HttpRequest request) =>
        request.Headers.Accept.ToString().Contains("text/html", StringComparison.OrdinalIgnoreCase);

    /// <summary>Serves <c>/ui/&lt;file&gt;</c> (<c>/ui/</c> is the page; <c>/ui</c> is sent to <c>/ui/</c>).</summary>
    public static async Task ServeAsync(HttpContext context, string[] rest)
    {
        var response = context.Response;
        if (rest.Length == 0 && !(context.Request.Path.Value ?? "").EndsWith('/'))
        {
            response.StatusCode = 308;
            response.Headers.Location = "/ui/";
            return;
        }

        var name = rest.Length == 0 ? "index.html" : string.Join('/', rest);
        if (!Files.TryGetValue(name, out var file))
        {
            response.StatusCode = 404;
            response.ContentType = "text/plain";
            await response.WriteAsync("no such file in the console", context.RequestAborted).ConfigureAwait(false);
            return;
        }

        response.Headers.ETag = file.ETag;
        response.Headers.CacheControl = "no-cache";
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers.XFrameOptions = "DENY";
        response.Headers.ContentSecurityPolicy = "default-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'";
        if (context.Request.Headers.IfNoneMatch == file.ETag)
        {
            response.StatusCode = 304;
            return;
        }

        response.StatusCode = 200;
        response.ContentType = file.Type;
        response.ContentLength = file.Bytes.Length;
        if (context.Request.Method != "HEAD")
        {
            await response.Body.WriteAsync(file.Bytes, context.RequestAborted).ConfigureAwait(false);
        }
    }

    private static Dictionary<string, (byte[], string, string)> Load()
    {
        var assembly = Assembly.GetExecutingAssembly();
        var files = new Dictionary<string, (byte[], string, string)>(StringComparer.Ordinal);
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(Prefix, StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            var bytes = copy.ToArray();
            var name = resource[Prefix.Length..];
            var type = Path.GetExtension(name) switch
            {
                ".html" => "text/html; charset=utf-8",
                ".js" => "text/javascript; charset=utf-8",
                ".css" => "text/css; charset=utf-8",
                _ => "application/octet-stream",
            };
            files[name] = (bytes, type, $"\"{Convert.ToHexStringLower(SHA256.HashData(bytes).AsSpan(0, 8))}\"");
        }

        return files;
    }
}
