using System.Globalization;
using System.Net;
using System.Text.Json;
using Quire.TestSupport;

namespace Quire.Server.Tests.Cli;

/// <summary>The <c>quire</c> commands through the real binary against a real server: import, export, the nedb-cli verbs, backup and restore.</summary>
public class CliCommandTests
{
    private static string[] Url(ServerProcess server) => ["--url", $"http://127.0.0.1:{server.Port}"];

    [Fact]
    public async Task Import_stops_at_a_bad_line_naming_it_and_runs_again_without_duplicates()
    {
        var rows = int.TryParse(Environment.GetEnvironmentVariable("QUIRE_IMPORT_ROWS"), out var n) ? n : 1_000_000;
        using var server = new ServerProcess();
        using var dir = new TempDirectory("quire-import");
        var file = Path.Combine(dir.Path, "rows.jsonl");
        var bad = rows / 2 + 1;   // a line number
        await using (var writer = new StreamWriter(file))
        {
            for (var line = 1; line <= rows; line++)
            {
                await writer.WriteLineAsync(line == bad ? """{"_id": "broken", "n": }""" : $$"""{"_id": "r{{line}}", "n": {{line}}, "s": "v{{line % 7}}"}""");
            }
        }

        var (code, _, error) = QuireCli.Run(["import", "big", "rows", file, .. Url(server)]);
        Assert.Equal(1, code);
        Assert.Contains($"line {bad}: not JSON", error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
        Assert.Equal(bad - 1, Count(server, "big", "rows"));   // the rows before it are in

        string output;
        (code, output, error) = QuireCli.Run(["import", "big", "rows", file, "--skip-bad", "--json", .. Url(server)]);
        Assert.Equal(0, code);
        using var summary = JsonDocument.Parse(output);
        Assert.Equal(rows - 1, summary.RootElement.GetProperty("imported").GetInt64());
        Assert.Equal(1, summary.RootElement.GetProperty("skipped").GetInt64());
        Assert.Contains($"line {bad} left out", error, StringComparison.Ordinal);
        Assert.Equal(rows - 1, Count(server, "big", "rows"));   // run again: the same documents, no duplicates
    }

    [Fact]
    public async Task Batches_in_flight_keep_the_file_order_of_writes_to_one_id_and_export_streams_them_back()
    {
        using var server = new ServerProcess();
        using var dir = new TempDirectory("quire-import");
        var file = Path.Combine(dir.Path, "repeats.jsonl");
        await File.WriteAllLinesAsync(file, Enumerable.Range(1, 2000).Select(line => $$"""{"_id": "k{{line % 37}}", "line": {{line}}}"""));

        var (code, _, error) = QuireCli.Run(["import", "r", "c", file, "--batch", "7", .. Url(server)]);
        Assert.True(code == 0, error);
        string output;
        (code, output, error) = QuireCli.Run(["export", "r", "c", .. Url(server)]);
        Assert.True(code == 0, error);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(37, lines.Count);
        foreach (var document in lines)
        {
            var key = int.Parse(document.GetProperty("_id").GetString()![1..], CultureInfo.InvariantCulture);
            Assert.Equal(Enumerable.Range(1, 2000).Last(line => line % 37 == key), document.GetProperty("line").GetInt32());   // the file's last word
        }

        Assert.Matches("as of seq [0-9]+", error);
        var (status, body) = await server.SendAsync(HttpMethod.Get, "/v1/databases/r/export?coll=bad%20name");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("bad name", body.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await server.SendAsync(HttpMethod.Get, "/v1/databases/none/export")).Status);
    }

    [Fact]
    public void Csv_and_json_arrays_import_typed_and_export_gives_them_back()
    {
        using var server = new ServerProcess();
        using var dir = new TempDirectory("quire-import");
        var csv = Path.Combine(dir.Path, "people.csv");
        File.WriteAllText(csv, "name,age,zip,member,big\n\"Lovelace, Ada\",36,007,true,12345678901234567890123\nBob,41.5,12345,false,1.\n");
        var array = Path.Combine(dir.Path, "tags.json");
        File.WriteAllText(array, """[{"code": "a", "w": 1}, {"code": "b", "w": [2, 3]}]""");

        Assert.Equal(0, QuireCli.Run(["import", "shop", "people", csv, .. Url(server)]).Code);
        Assert.Equal(0, QuireCli.Run(["import", "shop", "tags", array, "--id-field", "code", .. Url(server)]).Code);
        var (code, output, _) = QuireCli.Run(["get", "shop", "people", "2", "--json", .. Url(server)]);
        Assert.Equal(0, code);
        using (var ada = JsonDocument.Parse(output))
        {
            Assert.Equal("Lovelace, Ada", ada.RootElement.GetProperty("name").GetString());
            Assert.Equal(36, ada.RootElement.GetProperty("age").GetInt32());
            Assert.Equal("007", ada.RootElement.GetProperty("zip").GetString());   // not a number: it does not read back the same
            Assert.True(ada.RootElement.GetProperty("member").GetBoolean());
            Assert.Equal("12345678901234567890123", ada.RootElement.GetProperty("big").GetRawText());   // a number, digit for digit
        }

        (code, output, _) = QuireCli.Run(["get", "shop", "people", "3", "--json", .. Url(server)]);
        Assert.Equal("\"1.\"", JsonDocument.Parse(output).RootElement.GetProperty("big").GetRawText());   // not how JSON writes a number: text

        (code, output, _) = QuireCli.Run(["export", "shop", "tags", .. Url(server)]);
        Assert.Equal(0, code);
        Assert.Equal(["""{"_id":"a","code":"a","w":1}""", """{"_id":"b","code":"b","w":[2,3]}"""], output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        (code, output, _) = QuireCli.Run(["export", "shop", .. Url(server)]);
        Assert.Equal(4, output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Contains("\"_coll\":\"people\"", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Export_pages_by_id_as_of_one_seq_while_writes_go_on()
    {
        using var server = new ServerProcess();
        Assert.Equal(HttpStatusCode.Created, (await server.SendAsync(HttpMethod.Post, "/v1/databases", """{"name": "e"}""")).Status);
        for (var batch = 0; batch < 3; batch++)
        {
            var ops = string.Join(",", Enumerable.Range(batch * 5000, 5000).Select(i => $$$"""{"op": "put", "coll": "c", "id": "d{{{i:D6}}}", "doc": {"n": {{{i}}}}}"""));
            Assert.Equal(HttpStatusCode.OK, (await server.SendAsync(HttpMethod.Post, "/v1/databases/e/batch", $$"""{"ops": [{{ops}}]}""")).Status);
        }

        using var stop = new CancellationTokenSource();
        var writes = Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                await server.SendAsync(HttpMethod.Post, "/v1/databases/e/put", $$$"""{"coll": "c", "id": "late{{{i}}}", "doc": {"n": -1}}""");
            }
        });
        var (code, output, error) = QuireCli.Run(["export", "e", "c", .. Url(server)]);
        await stop.CancelAsync();
        await writes;
        Assert.Equal(0, code);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var seq = long.Parse(error.Split("as of seq ")[1].Split(' ')[0], CultureInfo.InvariantCulture);
        var (_, asOf) = await server.SendAsync(HttpMethod.Post, "/v1/databases/e/query", $$"""{"nql": "FROM c AS OF {{seq}} GROUP BY n COUNT"}""");
        Assert.Equal(asOf.GetProperty("rows").EnumerateArray().Sum(r => r.GetProperty("count").GetInt32()), lines.Length);   // exactly the documents of that seq
        Assert.Equal(lines.Length, lines.Distinct().Count());
        Assert.True(lines.Length >= 15_000);
    }

    [Fact]
    public async Task Export_goes_on_past_pages_the_server_cut_at_its_response_limit()
    {
        using var server = new ServerProcess(null, null, "--max-response-bytes", "200000");
        await server.SendAsync(HttpMethod.Post, "/v1/databases", """{"name": "e"}""");
        var pad = new string('p', 20_000);
        for (var i = 0; i < 30; i++)
        {
            await server.SendAsync(HttpMethod.Post, "/v1/databases/e/put", $$$"""{"coll": "c", "id": "d{{{i:D2}}}", "doc": {"pad": "{{{pad}}}"}}""");
        }

        var (code, output, error) = QuireCli.Run(["export", "e", "c", .. Url(server)]);
        Assert.True(code == 0, error);
        Assert.Equal(Enumerable.Range(0, 30).Select(i => $"d{i:D2}"), output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonDocument.Parse(line).RootElement.GetProperty("_id").GetString()));
    }

    [Fact]
    public async Task The_nedb_cli_verbs_answer_and_fail_with_their_exit_codes()
    {
        using var server = new ServerProcess();
        await server.SendAsync(HttpMethod.Post, "/v1/databases", """{"name": "v"}""");
        await server.SendAsync(HttpMethod.Post, "/v1/databases/v/put", """{"coll": "c", "id": "a", "doc": {"x": 1}}""");
        await server.SendAsync(HttpMethod.Post, "/v1/databases/v/put", """{"coll": "c", "id": "b", "doc": {"x": 2}}""");
        var (_, detail) = await server.SendAsync(HttpMethod.Get, "/v1/databases/v");

        var (code, output, _) = QuireCli.Run(["head", "v", .. Url(server)]);
        Assert.Equal((0, $"seq 1 head {detail.GetProperty("head").GetString()}"), (code, output.Trim()));
        (code, output, _) = QuireCli.Run(["verify", "v", .. Url(server)]);
        Assert.Equal(0, code);
        Assert.StartsWith("ok: the hash chain holds to seq 1", output, StringComparison.Ordinal);
        (code, output, _) = QuireCli.Run(["status", "v", "--json", .. Url(server)]);
        Assert.Equal(1, JsonDocument.Parse(output).RootElement.GetProperty("tip_seq").GetInt64());
        (code, output, _) = QuireCli.Run(["scan", "v", "c", "--after", "a", .. Url(server)]);
        Assert.Equal("b", JsonDocument.Parse(output.Trim()).RootElement.GetProperty("_id").GetString());
        (code, output, _) = QuireCli.Run(["stats", "v", .. Url(server)]);
        Assert.Contains("v: 2 documents, seq 1", output, StringComparison.Ordinal);

        string error;
        (code, _, error) = QuireCli.Run(["get", "v", "c", "nope", .. Url(server)]);
        Assert.Equal((1, "quire get: GET"), (code, error[..14]));
        Assert.Contains("answered 404: document not found", error, StringComparison.Ordinal);
        (code, _, error) = QuireCli.Run(["get", "v", .. Url(server)]);
        Assert.Equal(2, code);   // usage
        Assert.Contains("Required argument 'collection' missing", error, StringComparison.Ordinal);
        (code, _, error) = QuireCli.Run(["head", "v", "--url", "http://127.0.0.1:1"]);
        Assert.Equal(1, code);
        Assert.Contains("cannot reach http://127.0.0.1:1/", error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_backup_taken_while_writes_go_on_restores_equal_to_the_database_at_its_seq()
    {
        using var server = new ServerProcess();
        using var dir = new TempDirectory("quire-backup");
        await server.SendAsync(HttpMethod.Post, "/v1/databases", """{"name": "shop"}""");
        using var stop = new CancellationTokenSource();
        var writes = Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                await server.SendAsync(HttpMethod.Post, "/v1/databases/shop/put", $$$"""{"coll": "c", "id": "d{{{i % 500}}}", "doc": {"n": {{{i}}}}}""");
            }
        });
        await Task.Delay(1000);
        var (code, output, error) = QuireCli.Run(["backup", "shop", dir.Path, .. Url(server)]);
        await Task.Delay(300);
        await stop.CancelAsync();
        await writes;
        Assert.True(code == 0, error);
        var seq = long.Parse(output.Split("as of seq ")[1].Split(' ')[0], CultureInfo.InvariantCulture);
        var file = Assert.Single(Directory.GetFiles(dir.Path, "shop-*.quire-backup"));

        using var restoredData = new TempDirectory("quire-restored");
        var restoredRoot = restoredData.Path;
        (code, output, error) = QuireCli.Run(["restore", file, "--data", restoredRoot]);
        Assert.True(code == 0, error);
        Assert.Contains($"as of seq {seq}", output, StringComparison.Ordinal);
        var (_, headAt) = await server.SendAsync(HttpMethod.Get, $"/v1/databases/shop/replication/head?seq={seq}");
        Assert.Contains(headAt.GetProperty("head").GetString()!, output, StringComparison.Ordinal);   // the same history, to the hash

        using var restored = new ServerProcess(ServerProcess.FreePort(), null, restoredData);
        var (_, then) = await server.SendAsync(HttpMethod.Post, "/v1/databases/shop/query", $$"""{"nql": "FROM c AS OF {{seq}}"}""");
        var (_, now) = await restored.SendAsync(HttpMethod.Post, "/v1/databases/shop/query", """{"nql": "FROM c"}""");
        Assert.Equal(then.GetProperty("rows").GetRawText(), now.GetProperty("rows").GetRawText());
        (code, _, error) = QuireCli.Run(["restore", file, "--data", restoredRoot]);
        Assert.Equal(2, code);   // it does not overwrite a database
        Assert.Contains("already holds a database shop", error, StringComparison.Ordinal);
    }

    private static long Count(ServerProcess server, string db, string coll)
    {
        var (_, detail) = server.SendAsync(HttpMethod.Get, $"/v1/databases/{db}").GetAwaiter().GetResult();
        return detail.GetProperty("collections").GetProperty(coll).GetInt64();
    }
}
