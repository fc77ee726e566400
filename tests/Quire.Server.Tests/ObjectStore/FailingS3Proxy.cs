using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Quire.Server.Tests.ObjectStore;

/// <summary>
/// An HTTP proxy on loopback in front of radosgw that fails writes as a busy S3 does, at
/// random (seeded): some are refused with 503 SlowDown before they reach the store, and some
/// are carried out and then answered with 500 InternalError, so the client cannot tell that
/// they happened. Requests are forwarded byte for byte with their Host header, so their
/// signatures still verify.
/// </summary>
internal sealed class FailingS3Proxy : IAsyncDisposable
{
    private static readonly HashSet<string> HopByHop = new(StringComparer.OrdinalIgnoreCase) { "Transfer-Encoding", "Connection", "Keep-Alive", "Host" };

    private readonly WebApplication _app;
    private readonly HttpClient _client = new(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false, AutomaticDecompression = DecompressionMethods.None });
    private readonly Uri _target;
    private readonly Random _random;
    private readonly double _slowDownRate;
    private readonly double _errorAfterWriteRate;
    private int _slowDowns;
    private int _errorsAfterWrite;

    public FailingS3Proxy(Uri target, int seed, double slowDownRate, double errorAfterWriteRate)
    {
        (_target, _random, _slowDownRate, _errorAfterWriteRate) = (target, new Random(seed), slowDownRate, errorAfterWriteRate);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _app = builder.Build();
        _app.Run(ForwardAsync);
        _app.StartAsync().GetAwaiter().GetResult();
        Endpoint = new Uri(_app.Urls.First());
    }

    /// <summary>The proxy's URL, to give the client as its S3 endpoint.</summary>
    public Uri Endpoint { get; }

    /// <summary>Writes refused with 503 SlowDown.</summary>
    public int SlowDowns => Volatile.Read(ref _slowDowns);

    /// <summary>Writes carried out, then answered with 500.</summary>
    public int ErrorsAfterWrite => Volatile.Read(ref _errorsAfterWrite);

    private async Task ForwardAsync(HttpContext context)
    {
        var request = context.Request;
        var isWrite = request.Method is "PUT" or "POST" or "DELETE";
        double before, after;
        lock (_random)
        {
            (before, after) = (_random.NextDouble(), _random.NextDouble());
        }

        using var body = new MemoryStream();
        await request.Body.CopyToAsync(body);
        if (isWrite && before < _slowDownRate)
        {
            Interlocked.Increment(ref _slowDowns);
            await ErrorAsync(context.Response, 503, "SlowDown", "Please reduce your request rate.");
            return;
        }

        using var forward = new HttpRequestMessage(new HttpMethod(request.Method), new Uri(_target, request.Path + request.QueryString));
        forward.Content = new ByteArrayContent(body.ToArray());
        forward.Content.Headers.Clear();
        foreach (var (name, values) in request.Headers)
        {
            if (!HopByHop.Contains(name) && !forward.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values))
            {
                forward.Content.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
            }
        }

        forward.Headers.Host = request.Host.Value;   // as signed
        using var answer = await _client.SendAsync(forward, HttpCompletionOption.ResponseContentRead);
        if (isWrite && answer.IsSuccessStatusCode && after < _errorAfterWriteRate)
        {
            Interlocked.Increment(ref _errorsAfterWrite);
            await ErrorAsync(context.Response, 500, "InternalError", "We encountered an internal error. Please try again.");
            return;
        }

        context.Response.StatusCode = (int)answer.StatusCode;
        foreach (var (name, values) in answer.Headers.Concat(answer.Content.Headers))
        {
            if (!HopByHop.Contains(name))
            {
                context.Response.Headers[name] = values.ToArray();
            }
        }

        await context.Response.Body.WriteAsync(await answer.Content.ReadAsByteArrayAsync());
    }

    private static async Task ErrorAsync(HttpResponse response, int status, string code, string message)
    {
        response.StatusCode = status;
        response.ContentType = "application/xml";
        await response.WriteAsync($"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code><Message>{message}</Message><RequestId>proxy</RequestId></Error>");
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _client.Dispose();
    }
}
