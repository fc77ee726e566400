using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Quire.TestSupport;

namespace Quire.Server.Tests.Http;

/// <summary>Requests and checkpoints traced as System.Diagnostics activities (what OpenTelemetry's tracing collects), in a server run in this process.</summary>
public class TracingTests
{
    [Fact]
    public async Task Each_request_is_an_activity_under_the_callers_trace_and_checkpoints_are_traced_too()
    {
        var finished = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is "Quire.Server" or "Quire.Storage" or "Microsoft.AspNetCore",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = finished.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);

        using var data = new TempDirectory("quire-tracing");
        var port = ServerProcess.FreePort();
        using var stop = new CancellationTokenSource();
        var server = QuireServer.RunAsync(new ServerOptions { Port = port, H2cPort = 0, DataRoot = data.Path }, stop.Token);
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            await WaitForAsync(http);
            var trace = ActivityTraceId.CreateRandom();
            using var create = new HttpRequestMessage(HttpMethod.Post, "/v1/databases") { Content = new StringContent("""{"name":"traced"}""") };
            create.Headers.Add("traceparent", $"00-{trace}-{ActivitySpanId.CreateRandom()}-01");
            Assert.Equal(HttpStatusCode.Created, (await http.SendAsync(create)).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await http.PostAsync("/v1/databases/traced/put", new StringContent("""{"coll":"c","id":"a","doc":{}}"""))).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await http.PostAsync("/v1/databases/traced/checkpoint", null)).StatusCode);

            var requests = finished.Where(a => a.Source.Name == "Quire.Server").ToList();
            var created = Assert.Single(requests, a => a.DisplayName == "POST databases");
            Assert.Equal(trace, created.TraceId);
            Assert.Equal(ActivityKind.Server, created.Kind);
            Assert.Equal(201, created.GetTagItem("http.response.status_code"));
            var put = Assert.Single(requests, a => a.DisplayName == "POST put");
            Assert.Equal("put", put.GetTagItem("http.route"));
            Assert.NotEqual(trace, put.TraceId);

            var checkpoint = Assert.Single(finished, a => a.Source.Name == "Quire.Storage" && a.OperationName == "checkpoint" && (string?)a.GetTagItem("db") == "traced");
            Assert.True((long)checkpoint.GetTagItem("quire.pages")! >= 1);
        }
        finally
        {
            await stop.CancelAsync();
            await server;
        }
    }

    private static async Task WaitForAsync(HttpClient http)
    {
        for (var tries = 0; ; tries++)
        {
            try
            {
                await http.GetAsync("/health");
                return;
            }
            catch (HttpRequestException) when (tries < 100)
            {
                await Task.Delay(100);
            }
        }
    }
}
