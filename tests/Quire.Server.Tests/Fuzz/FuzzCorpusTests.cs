using System.Net;
using System.Net.Http.Headers;
using Quire.Fuzz;

namespace Quire.Server.Tests.Fuzz;

/// <summary>
/// The fuzz targets' corpora and found crashes, replayed in-process through each target, and
/// the request-body corpora sent to a running server: none may crash a target or get a 500.
/// </summary>
public class FuzzCorpusTests
{
    private static readonly string FuzzRoot = Path.Combine(RepositoryRoot.Path, "fuzz");

    public static TheoryData<string> Targets() => [.. FuzzTargets.All.Select(make => make().Name)];

    [Theory]
    [MemberData(nameof(Targets))]
    public void Every_corpus_input_and_every_regression_runs_through_its_target(string name)
    {
        var target = FuzzTargets.Find(name)!;
        var inputs = Inputs(name).ToList();
        Assert.NotEmpty(inputs);
        foreach (var file in inputs)
        {
            var error = Record.Exception(() => target.Run(File.ReadAllBytes(file)));
            Assert.True(error is null, $"{file}: {error}");
        }

        Assert.True(File.Exists(Path.Combine(FuzzRoot, "dict", $"{name}.dict")), $"{name} has no dictionary");
    }

    [Fact]
    public void A_replication_frame_that_announces_more_than_it_carries_costs_what_it_carried()
    {
        // A record frame announcing 200 MB, then 10 bytes and the end of the stream.
        byte[] frame = [1, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 1, 0x0B, 0xEB, 0xC2, 0x00, .. new byte[10]];
        var target = FuzzTargets.Find("replication")!;
        target.Run(frame);   // warm
        var before = GC.GetTotalAllocatedBytes(precise: true);
        target.Run(frame);
        Assert.InRange(GC.GetTotalAllocatedBytes(precise: true) - before, 0, 4 << 20);
    }

    [Fact]
    public async Task No_request_body_in_the_corpora_gets_a_500()
    {
        using var server = new ServerProcess();
        Assert.Equal(HttpStatusCode.Created, (await server.SendAsync(HttpMethod.Post, "/v1/databases", """{"name": "f"}""")).Status);
        Assert.Equal(HttpStatusCode.OK, (await server.SendAsync(HttpMethod.Post, "/v1/databases/f/put", """{"coll": "c", "id": "d1", "doc": {"n": 1, "s": "v1"}}""")).Status);
        var sent = 0;
        foreach (var (target, route, contentType) in new[]
        {
            ("ops", "put", "application/json"), ("ops", "batch", "application/json"), ("msgpack", "put", "application/msgpack"),
            ("mongo", "mongo", "application/json"), ("nql", "query", null),
        })
        {
            foreach (var file in Inputs(target))
            {
                var bytes = await File.ReadAllBytesAsync(file);
                using var content = contentType is null
                    ? new StringContent(System.Text.Json.JsonSerializer.Serialize(new { nql = System.Text.Encoding.UTF8.GetString(bytes) }))
                    : new ByteArrayContent(bytes);
                content.Headers.ContentType = new MediaTypeHeaderValue(contentType ?? "application/json");
                using var response = await server.Http.PostAsync($"/v1/databases/f/{route}", content);
                Assert.True((int)response.StatusCode < 500, $"{file} to {route}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                sent++;
            }
        }

        Assert.True(sent > 30, $"only {sent} bodies sent");
        Assert.DoesNotContain("fail:", server.Output, StringComparison.Ordinal);
    }

    private static IEnumerable<string> Inputs(string target) =>
        new[] { Path.Combine(FuzzRoot, "corpus", target), Path.Combine(FuzzRoot, "regressions", target) }
            .Where(Directory.Exists)
            .SelectMany(directory => Directory.GetFiles(directory))
            .Order(StringComparer.Ordinal);
}
