using System.CommandLine;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Quire.Cli.Client;

/// <summary>
/// The running server a command talks to: <c>--url</c> (env <c>QUIRE_URL</c>, default
/// http://127.0.0.1:7070) and <c>--token</c> (env <c>NEDBD_TOKEN</c>). A refused request is a
/// <see cref="CliError"/> carrying the server's <c>error</c>.
/// </summary>
internal sealed class ServerConnection : IDisposable
{
    private ServerConnection(Uri url, string? token)
    {
        Url = url;
        Http = new HttpClient { BaseAddress = url, Timeout = Timeout.InfiniteTimeSpan };
        if (token is { Length: > 0 })
        {
            Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
    }

    public Uri Url { get; }

    public HttpClient Http { get; }

    /// <summary>The options a command that talks to a server takes.</summary>
    internal sealed record Options(Option<string> Url, Option<string?> Token)
    {
        public static Options AddTo(Command command)
        {
            var options = new Options(
                new Option<string>("--url") { Description = "The server (env QUIRE_URL)", DefaultValueFactory = _ => Environment.GetEnvironmentVariable("QUIRE_URL") ?? "http://127.0.0.1:7070" },
                new Option<string?>("--token") { Description = "Its bearer token, when it has one (env NEDBD_TOKEN)", DefaultValueFactory = _ => Environment.GetEnvironmentVariable("NEDBD_TOKEN") });
            command.Options.Add(options.Url);
            command.Options.Add(options.Token);
            return options;
        }

        public ServerConnection Connect(ParseResult result) =>
            Uri.TryCreate(result.GetValue(Url), UriKind.Absolute, out var url) && url.Scheme is "http" or "https"
                ? new ServerConnection(url, result.GetValue(Token))
                : throw new CliError($"--url {result.GetValue(Url)} is not a server's URL (http://host:port)", 2);
    }

    /// <summary>GETs JSON; a 4xx or 5xx is a <see cref="CliError"/> with the server's message.</summary>
    public async Task<JsonDocument> GetAsync(string path, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(new HttpRequestMessage(HttpMethod.Get, path), cancellationToken).ConfigureAwait(false);
        return await ReadAsync(response, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>POSTs a JSON body and reads the JSON answer.</summary>
    public async Task<JsonDocument> PostAsync(string path, string json, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        using var response = await SendAsync(request, cancellationToken).ConfigureAwait(false);
        return await ReadAsync(response, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sends a request; the response is the caller's (headers read, body not).</summary>
    public async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        try
        {
            var response = await Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            if ((int)response.StatusCode >= 400)
            {
                using (response)
                {
                    var reason = await ErrorOf(response, cancellationToken).ConfigureAwait(false);
                    throw new CliError($"{request.Method} {request.RequestUri} answered {(int)response.StatusCode}: {reason}") { Status = (int)response.StatusCode, Reason = reason };
                }
            }

            return response;
        }
        catch (HttpRequestException ex)
        {
            throw new CliError($"cannot reach {Url}: {ex.Message}");
        }
    }

    /// <summary>Whether a database of that name exists on the server.</summary>
    public async Task<bool> HasDatabaseAsync(string name, CancellationToken cancellationToken)
    {
        using var response = await Http.GetAsync($"/v1/databases/{Uri.EscapeDataString(name)}", cancellationToken).ConfigureAwait(false);
        return response.IsSuccessStatusCode;
    }

    public void Dispose() => Http.Dispose();

    private static async Task<JsonDocument> ReadAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        return await JsonDocument.ParseAsync(stream, cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    private static async Task<string> ErrorOf(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var body = JsonDocument.Parse(text);
            return body.RootElement.TryGetProperty("error", out var error) ? error.ToString() : text;
        }
        catch (JsonException)
        {
            return text.Length > 0 ? text : response.ReasonPhrase ?? "";
        }
    }
}
