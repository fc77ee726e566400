using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Quire.TestSupport;

namespace Quire.Server.Tests;

public class TlsAndLoggingTests
{
    [Fact]
    public async Task A_tls_port_negotiates_http2_or_http1_by_alpn()
    {
        using var certificates = new TempDirectory("quire-tls");
        var pfx = Path.Combine(certificates.Path, "server.pfx");
        string thumbprint;
        using (var rsa = RSA.Create(2048))
        {
            var request = new CertificateRequest("CN=127.0.0.1", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            var names = new SubjectAlternativeNameBuilder();
            names.AddIpAddress(IPAddress.Loopback);
            request.CertificateExtensions.Add(names.Build());
            using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
            await File.WriteAllBytesAsync(pfx, certificate.Export(X509ContentType.Pfx, "pw"));
            thumbprint = certificate.GetCertHashString();
        }

        var tlsPort = ServerProcess.FreePort();
        using var server = new ServerProcess(null, null, "--tls-port", tlsPort.ToString(), "--tls-cert", pfx, "--tls-cert-password", "pw");
        foreach (var version in new[] { HttpVersion.Version20, HttpVersion.Version11 })
        {
            using var client = new HttpClient(new SocketsHttpHandler
            {
                SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = (_, presented, _, _) => presented?.GetCertHashString() == thumbprint },
            })
            {
                DefaultRequestVersion = version,
                DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
            };
            using var response = await SendOrExplain(client, new HttpRequestMessage(HttpMethod.Get, $"https://127.0.0.1:{tlsPort}/health") { Version = version, VersionPolicy = HttpVersionPolicy.RequestVersionExact }, server);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(version, response.Version);
        }
    }

    /// <summary>Sends, retrying for a few seconds while the TLS port is still being bound (the main port answers first).</summary>
    private static async Task<HttpResponseMessage> SendOrExplain(HttpClient client, HttpRequestMessage request, ServerProcess server)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                using var copy = new HttpRequestMessage(request.Method, request.RequestUri) { Version = request.Version, VersionPolicy = request.VersionPolicy };
                return await client.SendAsync(copy);
            }
            catch (HttpRequestException) when (attempt < 100)
            {
                await Task.Delay(50);
            }
            catch (HttpRequestException ex)
            {
                throw new InvalidOperationException($"{ex.Message}; server output:\n{server.Output}", ex);
            }
        }
    }

    [Fact]
    public async Task Information_level_logs_every_request_without_names_of_data()
    {
        using var server = new ServerProcess(null, null, "--log-level", "Information");
        await server.SendAsync(HttpMethod.Post, "/v1/databases", """{"name": "secretname"}""");
        await server.SendAsync(HttpMethod.Get, "/v1/databases/secretname/verify");
        var until = DateTime.UtcNow.AddSeconds(5);
        while (!server.Output.Contains("GET verify 200", StringComparison.Ordinal) && DateTime.UtcNow < until)
        {
            await Task.Delay(50);
        }

        Assert.Contains("POST databases 201", server.Output, StringComparison.Ordinal);
        Assert.Contains("GET verify 200", server.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("secretname/verify", server.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_that_cannot_be_served_stop_start_up_with_a_message()
    {
        using var taken = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        taken.Start();
        var port = ((System.Net.IPEndPoint)taken.LocalEndpoint).Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var resp = Assert.Throws<InvalidOperationException>(() => new ServerProcess(null, null, "--resp2-port", port));
        Assert.Contains($"quire serve: Failed to bind to address http://127.0.0.1:{port}: address already in use", resp.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", resp.Message, StringComparison.Ordinal);   // no stack trace
        var tls = Assert.Throws<InvalidOperationException>(() => new ServerProcess(null, null, "--tls-port", "9443"));
        Assert.Contains("--tls-port needs --tls-cert", tls.Message, StringComparison.Ordinal);
    }
}
