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

        Assert.True(server.Printed("POST databases 201"), server.Output);
        Assert.True(server.Printed("GET verify 200"), server.Output);
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

    [Theory]
    [InlineData("--port 99999", "--port 99999 is not a port")]
    [InlineData("--resp2-port -2", "--resp2-port -2 is not a port")]
    [InlineData("--host notanip", "--host notanip is not an IP address")]
    [InlineData("--max-body-bytes -1", "--max-body-bytes -1 must be at least 1")]
    [InlineData("--port 7391 --h2c-port 7391", "--port and --h2c-port are all port 7391")]
    [InlineData("--max-response-bytes 10", "--max-response-bytes 10 must be at least 1024")]
    [InlineData("--query-timeout-ms -1", "--query-timeout-ms -1 must be at least 0")]
    [InlineData("--archive http://bucket", "--archive: 'http://bucket' is not an s3://bucket/prefix location")]
    [InlineData("--archive s3://Bad_Bucket/p", "'Bad_Bucket' in 's3://Bad_Bucket/p' is not a bucket name")]
    [InlineData("--archive s3://bucket --archive-interval-ms 0", "--archive-interval-ms 0 must be at least 1")]
    [InlineData("--archive s3://bucket --s3-endpoint nope", "--s3-endpoint nope is not a URL")]
    [InlineData("--archive s3://bucket --archive-retain 7x", "--archive-retain 7x is not a duration (90s, 30m, 12h, 7d)")]
    [InlineData("--archive s3://bucket --archive-retain -1h", "--archive-retain -1h is not a duration")]
    [InlineData("--bootstrap-from s3://bucket/p", "--bootstrap-from is for a replica (with --replica-of)")]
    [InlineData("--replica-of http://127.0.0.1:9 --bootstrap-from s3:/x", "--bootstrap-from: ")]
    public void A_bad_flag_stops_start_up_with_exit_code_2_and_a_message(string flags, string message)
    {
        var (code, output) = Resp.RedisTools.Run("dotnet", [ServerProcess.CliPath(), "serve", .. flags.Split(' ')]);
        Assert.Equal(2, code);
        Assert.Contains(message, output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);   // no stack trace
    }

    [Fact]
    public void An_environment_variable_that_is_not_a_number_stops_start_up()
    {
        var start = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in new[] { ServerProcess.CliPath(), "serve", "--port", "7392" })
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["NEDBD_RESP2_PORT"] = "abc";
        using var process = System.Diagnostics.Process.Start(start)!;
        var error = process.StandardError.ReadToEnd();
        Assert.True(process.WaitForExit(30_000));
        Assert.Equal(2, process.ExitCode);
        Assert.Contains("NEDBD_RESP2_PORT=abc is not a whole number", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_a_token_metrics_and_ready_need_it_unless_metrics_are_opened()
    {
        using (var server = new ServerProcess("tok"))
        {
            using var anonymous = new HttpClient { BaseAddress = server.Http.BaseAddress };
            Assert.Equal(System.Net.HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/metrics")).StatusCode);
            Assert.Equal(System.Net.HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/ready")).StatusCode);
            Assert.Equal(System.Net.HttpStatusCode.OK, (await anonymous.GetAsync("/health")).StatusCode);   // nedbd's: open
            Assert.Equal(System.Net.HttpStatusCode.OK, (await server.Http.GetAsync("/metrics")).StatusCode);
            Assert.Equal(System.Net.HttpStatusCode.OK, (await server.Http.GetAsync("/ready")).StatusCode);
        }

        using var scraped = new ServerProcess("tok", null, "--metrics-open");
        using var scraper = new HttpClient { BaseAddress = scraped.Http.BaseAddress };
        Assert.Equal(System.Net.HttpStatusCode.OK, (await scraper.GetAsync("/metrics")).StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, (await scraper.GetAsync("/ready")).StatusCode);
    }
}
