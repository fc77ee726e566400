using System.Net;
using System.Text;

namespace Quire.Server.Tests.Http;

/// <summary>
/// Web pages cannot drive a server they were not allowed to: without a token, a request
/// from another page's origin is refused before it does anything (a text/plain POST needs no
/// preflight), and on a loopback server a foreign Host (DNS rebinding) is refused.
/// </summary>
public class BrowserGuardTests
{
    private static async Task<HttpResponseMessage> SendAsync(ServerProcess server, HttpMethod method, string path, string? origin = null, string? host = null, string? body = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (origin is not null)
        {
            request.Headers.Add("Origin", origin);
        }

        if (host is not null)
        {
            request.Headers.Host = host;
        }

        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "text/plain");
        }

        return await server.Http.SendAsync(request);
    }

    [Fact]
    public async Task Without_a_token_a_cross_origin_text_plain_post_is_refused_before_it_does_anything()
    {
        using var server = new ServerProcess();
        using var post = await SendAsync(server, HttpMethod.Post, "/v1/databases", origin: "http://evil.example", body: """{"name": "pwned"}""");
        Assert.Equal(HttpStatusCode.Forbidden, post.StatusCode);
        Assert.False(post.Headers.Contains("Access-Control-Allow-Origin"));
        Assert.Contains("--cors-origins http://evil.example", await post.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await server.SendAsync(HttpMethod.Get, "/v1/databases/pwned")).Status);   // nothing was made

        using var preflight = await SendAsync(server, HttpMethod.Options, "/v1/databases/x", origin: "http://evil.example");
        Assert.Equal(HttpStatusCode.Forbidden, preflight.StatusCode);
        Assert.False(preflight.Headers.Contains("Access-Control-Allow-Origin"));

        using var read = await SendAsync(server, HttpMethod.Get, "/health", origin: "http://evil.example");
        Assert.Equal(HttpStatusCode.Forbidden, read.StatusCode);   // nor can it read what the server holds
    }

    [Fact]
    public async Task The_servers_own_pages_allowed_origins_and_clients_without_an_origin_go_through()
    {
        using var server = new ServerProcess(null, null, "--cors-origins", "https://app.example, http://tools.example");
        using var plain = await SendAsync(server, HttpMethod.Post, "/v1/databases", body: """{"name": "a"}""");
        Assert.Equal(HttpStatusCode.Created, plain.StatusCode);   // curl, a service: no Origin
        Assert.False(plain.Headers.Contains("Access-Control-Allow-Origin"));

        using var same = await SendAsync(server, HttpMethod.Get, "/health", origin: $"http://127.0.0.1:{server.Port}");
        Assert.Equal(HttpStatusCode.OK, same.StatusCode);

        using var allowed = await SendAsync(server, HttpMethod.Options, "/v1/databases", origin: "https://app.example");
        Assert.Equal(HttpStatusCode.NoContent, allowed.StatusCode);
        Assert.Equal("https://app.example", allowed.Headers.GetValues("Access-Control-Allow-Origin").Single());
        using var allowedPost = await SendAsync(server, HttpMethod.Post, "/v1/databases", origin: "http://tools.example", body: """{"name": "b"}""");
        Assert.Equal(HttpStatusCode.Created, allowedPost.StatusCode);
    }

    [Fact]
    public async Task With_a_token_every_origin_gets_nedbds_star_and_still_needs_the_token()
    {
        using var server = new ServerProcess("s3cret");
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/databases");
        request.Headers.Add("Origin", "http://evil.example");
        request.Headers.Authorization = null;
        using var anonymous = new HttpClient { BaseAddress = server.Http.BaseAddress };
        using var refused = await anonymous.SendAsync(request);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal("*", refused.Headers.GetValues("Access-Control-Allow-Origin").Single());
        using var authorized = await SendAsync(server, HttpMethod.Get, "/v1/databases", origin: "http://evil.example");
        Assert.Equal(HttpStatusCode.OK, authorized.StatusCode);
    }

    [Fact]
    public async Task On_loopback_a_request_naming_another_host_is_refused_as_dns_rebinding()
    {
        using var server = new ServerProcess();
        using var rebound = await SendAsync(server, HttpMethod.Post, "/v1/databases", host: $"attacker.example:{server.Port}", body: """{"name": "rebound"}""");
        Assert.Equal(HttpStatusCode.Forbidden, rebound.StatusCode);
        Assert.Contains("DNS-rebinding", await rebound.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await server.SendAsync(HttpMethod.Get, "/v1/databases/rebound")).Status);
        using var local = await SendAsync(server, HttpMethod.Get, "/health", host: $"localhost:{server.Port}");
        Assert.Equal(HttpStatusCode.OK, local.StatusCode);
    }
}
