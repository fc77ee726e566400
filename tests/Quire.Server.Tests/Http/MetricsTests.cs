using System.Globalization;
using System.Net;

namespace Quire.Server.Tests.Http;

/// <summary><c>/metrics</c> from the engine's and the server's System.Diagnostics.Metrics instruments, and dotnet-counters on them.</summary>
public class MetricsTests
{
    [Fact]
    public async Task Metrics_are_the_instruments_in_prometheus_text_with_histograms_per_database_and_route()
    {
        using var server = new ServerProcess();
        Assert.Equal(HttpStatusCode.Created, (await server.SendAsync(HttpMethod.Post, "/v1/databases", """{"name":"m"}""")).Status);
        for (var i = 0; i < 20; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await server.SendAsync(HttpMethod.Post, "/v1/databases/m/put", $$$"""{"coll":"c","id":"d{{{i}}}","doc":{"n":{{{i}}}}}""")).Status);
        }

        Assert.Equal(HttpStatusCode.OK, (await server.SendAsync(HttpMethod.Post, "/v1/databases/m/checkpoint")).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await server.SendAsync(HttpMethod.Post, "/v1/databases/m/query", """{"nql": "SELECT"}""")).Status);

        var text = await server.Http.GetStringAsync("/metrics");
        var samples = Parse(text);
        Assert.Equal(20, samples["quire_server_http_request_seconds_count{route=\"put\",status=\"200\"}"]);
        Assert.Equal(1, samples["quire_server_http_request_seconds_count{route=\"query\",status=\"400\"}"]);
        Assert.True(samples["quire_storage_commit_seconds_count{db=\"m\"}"] >= 20);
        Assert.True(samples["quire_storage_fsync_seconds_count{db=\"m\"}"] >= 1);
        Assert.True(samples["quire_storage_group_size_count{db=\"m\"}"] >= 1);
        Assert.True(samples["quire_storage_checkpoint_seconds_count{db=\"m\"}"] >= 1);
        Assert.True(samples["quire_storage_checkpoint_pages{db=\"m\"}"] >= 1);
        Assert.True(samples["quire_storage_seq{db=\"m\"}"] >= 19);
        Assert.Equal(0, samples["quire_storage_queue_depth{db=\"m\"}"]);
        Assert.True(samples.ContainsKey("quire_storage_page_loads{db=\"m\"}"));
        Assert.True(samples.ContainsKey("quire_storage_cache_resident_bytes{db=\"m\"}"));
        Assert.Equal(1, samples["quire_server_databases_open"]);
        Assert.True(samples.ContainsKey("system_runtime_dotnet_gc_pause_time"));

        // A histogram's buckets are cumulative and end with +Inf at its count.
        var fsyncBuckets = samples.Where(s => s.Key.StartsWith("quire_storage_fsync_seconds_bucket{db=\"m\"", StringComparison.Ordinal)).Select(s => s.Value).ToList();
        Assert.True(fsyncBuckets.Count > 10);
        Assert.Equal(fsyncBuckets.Order(), fsyncBuckets);
        Assert.Equal(samples["quire_storage_fsync_seconds_count{db=\"m\"}"], samples["quire_storage_fsync_seconds_bucket{db=\"m\",le=\"+Inf\"}"]);
        Assert.Contains("# TYPE quire_storage_commit_seconds histogram", text, StringComparison.Ordinal);

        // Every metric the Grafana dashboard and docs/metrics.md name exists (replication's are a primary's or a replica's: ReplicationTests; the archive's need --archive: ArchiveServerTests).
        foreach (var document in new[] { "grafana-dashboard.json", "metrics.md" })
        {
            var named = System.Text.RegularExpressions.Regex.Matches(await File.ReadAllTextAsync(Path.Combine(RepositoryRoot.Path, "docs", document)), "(quire|system_runtime_dotnet)_[a-z_]+[a-z]")
                .Select(m => m.Value).Where(n => !n.Contains("replica", StringComparison.Ordinal) && !n.Contains("archive", StringComparison.Ordinal) && !n.EndsWith("dotnet_", StringComparison.Ordinal)).Distinct().ToList();
            Assert.NotEmpty(named);
            Assert.All(named, name => Assert.True(samples.Keys.Any(k => k.StartsWith(name, StringComparison.Ordinal)), $"{document} names {name}, which /metrics does not have"));
        }
    }

    [Fact]
    public async Task Dotnet_counters_reads_the_same_instruments_from_a_running_server()
    {
        Run("dotnet", "tool restore");
        using var server = new ServerProcess();
        await server.SendAsync(HttpMethod.Post, "/v1/databases", """{"name":"c"}""");
        using var writing = new CancellationTokenSource();
        var writer = Task.Run(async () =>
        {
            for (var i = 0; !writing.IsCancellationRequested; i++)
            {
                await server.SendAsync(HttpMethod.Post, "/v1/databases/c/put", $$$"""{"coll":"c","id":"d{{{i}}}","doc":{"n":{{{i}}}}}""");
            }
        });

        var output = Path.Combine(Path.GetTempPath(), $"quire-counters-{Guid.NewGuid():N}.json");
        try
        {
            Run("dotnet", $"dotnet-counters collect --process-id {server.ProcessId} --counters Quire.Storage,Quire.Server --duration 00:00:04 --format json -o {output}");
            var collected = await File.ReadAllTextAsync(output);
            Assert.Contains("\"provider\": \"Quire.Storage\"", collected, StringComparison.Ordinal);
            Assert.Contains("commit.seconds", collected, StringComparison.Ordinal);
            Assert.Contains("\"tags\": \"db=c", collected, StringComparison.Ordinal);
            Assert.Contains("http.request.seconds", collected, StringComparison.Ordinal);
        }
        finally
        {
            await writing.CancelAsync();
            await writer;
            File.Delete(output);
        }
    }

    /// <summary>Every sample line of Prometheus' text format, by name and labels; every value must parse.</summary>
    private static Dictionary<string, double> Parse(string text)
    {
        var samples = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n').Where(l => l.Length > 0 && l[0] != '#'))
        {
            var space = line.LastIndexOf(' ');
            Assert.True(space > 0, $"not a sample: {line}");
            var value = line[(space + 1)..];
            samples[line[..space]] = value switch
            {
                "+Inf" => double.PositiveInfinity,
                "NaN" => double.NaN,
                _ => double.Parse(value, CultureInfo.InvariantCulture),
            };
        }

        return samples;
    }

    private static void Run(string file, string arguments)
    {
        var (code, stdout, stderr) = Programs.Run(file, arguments.Split(' '), directory: RepositoryRoot.Path, timeout: TimeSpan.FromMinutes(3));
        Assert.True(code == 0, $"{file} {arguments}: {stdout} {stderr}");
    }
}
