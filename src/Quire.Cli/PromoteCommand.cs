using System.CommandLine;
using System.Net.Http.Headers;
using System.Text.Json;

namespace Quire.Cli;

/// <summary><c>quire promote --url http://replica:port</c>: makes a running replica a primary (its <c>POST /v1/admin/promote</c>).</summary>
internal static class PromoteCommand
{
    public static Command Create()
    {
        var url = new Option<string>("--url") { Description = "The replica to promote, e.g. http://10.0.0.2:7070", Required = true };
        var token = new Option<string?>("--token") { Description = "Its bearer token, when it has one (env NEDBD_TOKEN)", DefaultValueFactory = _ => Environment.GetEnvironmentVariable("NEDBD_TOKEN") };
        var command = new Command("promote", "Make a running replica a primary.") { url, token };
        command.SetAction(async (result, cancellation) =>
        {
            if (!Uri.TryCreate(result.GetValue(url), UriKind.Absolute, out var target))
            {
                await Console.Error.WriteLineAsync("quire promote: --url needs the replica's URL (http://host:port)").ConfigureAwait(false);
                return 2;
            }

            using var http = new HttpClient { BaseAddress = target, Timeout = TimeSpan.FromSeconds(60) };
            if (result.GetValue(token) is { Length: > 0 } bearer)
            {
                http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
            }

            try
            {
                using var response = await http.PostAsync("/v1/admin/promote", null, cancellation).ConfigureAwait(false);
                var body = await response.Content.ReadAsStringAsync(cancellation).ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                {
                    Console.WriteLine($"quire promote: {target} is a primary now");
                    return 0;
                }

                var error = body.Length > 0 && JsonDocument.Parse(body).RootElement.TryGetProperty("error", out var e) ? e.GetString() : response.ReasonPhrase;
                await Console.Error.WriteLineAsync($"quire promote: {target} answered {(int)response.StatusCode}: {error}").ConfigureAwait(false);
                return 1;
            }
            catch (HttpRequestException ex)
            {
                await Console.Error.WriteLineAsync($"quire promote: {target} did not answer: {ex.Message}").ConfigureAwait(false);
                return 1;
            }
        });
        return command;
    }
}
