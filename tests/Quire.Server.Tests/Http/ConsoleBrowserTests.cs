using System.Net;
using PuppeteerSharp;
using Xunit.Abstractions;

namespace Quire.Server.Tests.Http;

/// <summary>The web console at /ui/ in a real browser: Debian's chromium, headless, driven by PuppeteerSharp.</summary>
[Collection(SerialCollection.Name)]
public class ConsoleBrowserTests(ITestOutputHelper output)
{
    [Fact]
    public async Task The_console_lists_databases_runs_a_query_edits_a_document_and_its_charts_move()
    {
        var chromium = DebianPackages.Ensure("chromium", "chromium");
        using var server = new ServerProcess();
        Assert.Equal(HttpStatusCode.Created, (await server.SendAsync(HttpMethod.Post, "/v1/databases", """{"name":"shop"}""")).Status);
        for (var batch = 0; batch < 2; batch++)
        {
            var ops = string.Join(",", Enumerable.Range(batch * 500, 500).Select(i => $$$"""{"op":"put","coll":"items","id":"i{{{i:D4}}}","doc":{"n":{{{i}}},"name":"item {{{i}}}"}}"""));
            Assert.Equal(HttpStatusCode.OK, (await server.SendAsync(HttpMethod.Post, "/v1/databases/shop/batch", $$"""{"ops":[{{ops}}]}""")).Status);
        }

        await using var browser = await Puppeteer.LaunchAsync(new LaunchOptions { ExecutablePath = chromium, Headless = true, Args = ["--no-sandbox", "--disable-gpu"] });
        await using var page = await browser.NewPageAsync();
        await page.SetViewportAsync(new ViewPortOptions { Width = 1280, Height = 800 });
        var errors = new List<string>();
        page.PageError += (_, e) => errors.Add(e.Message);

        // A browser asking for / is sent to the console.
        await page.GoToAsync($"http://127.0.0.1:{server.Port}/", WaitUntilNavigation.Load);
        Assert.EndsWith("/ui/", page.Url, StringComparison.Ordinal);
        var firstPaint = await page.EvaluateExpressionAsync<double>("(performance.getEntriesByName('first-contentful-paint')[0] || performance.getEntriesByType('paint')[0] || { startTime: -1 }).startTime");

        // Databases with their counts; choosing one lists its collections.
        await page.WaitForSelectorAsync("#databases li[data-name='shop']");
        await page.ClickAsync("#databases li[data-name='shop']");
        await page.WaitForSelectorAsync("#collections li[data-name='items']");
        Assert.Equal("1000", await page.EvaluateExpressionAsync<string>("document.querySelector(\"#collections li[data-name='items'] small\").textContent"));

        // A query of 1,000 rows, shown as a table; the plan of another.
        await page.EvaluateExpressionAsync("document.getElementById('nql').value = 'FROM items LIMIT 1000'");
        await page.ClickAsync("#run");
        await page.WaitForFunctionAsync("() => window.quireLastRender && window.quireLastRender.rows === 1000");
        Assert.Equal(1000, await page.EvaluateExpressionAsync<int>("document.querySelectorAll('#result tbody tr').length"));
        var renderMs = await page.EvaluateExpressionAsync<double>("window.quireLastRender.renderMs");
        await page.EvaluateExpressionAsync("document.getElementById('nql').value = 'FROM items WHERE n > 10'");
        await page.ClickAsync("#explain");
        await page.WaitForFunctionAsync("() => document.getElementById('plan').textContent.includes('full-scan')");

        // A row opens its document; a save is a put with if_seq.
        await page.EvaluateExpressionAsync("document.getElementById('nql').value = 'FROM items LIMIT 5'");
        await page.ClickAsync("#run");
        await page.WaitForFunctionAsync("() => window.quireLastRender && window.quireLastRender.rows === 5");
        await page.ClickAsync("#result tbody tr");
        await page.WaitForFunctionAsync("() => document.getElementById('doc-info').textContent.startsWith('seq')");
        await page.EvaluateExpressionAsync("document.getElementById('doc-json').value = '{\"n\": -1, \"name\": \"edited\"}'");
        await page.ClickAsync("#save-doc");
        await page.WaitForFunctionAsync("() => document.getElementById('doc-info').textContent.startsWith('saved')");
        var saved = await server.SendAsync(HttpMethod.Get, "/v1/databases/shop/docs/items/i0000");
        Assert.Equal("edited", saved.Body.GetProperty("name").GetString());

        // Changed by someone else since it was loaded: the console refuses to overwrite it.
        await server.SendAsync(HttpMethod.Post, "/v1/databases/shop/put", """{"coll":"items","id":"i0000","doc":{"name":"theirs"}}""");
        await page.ClickAsync("#save-doc");
        await page.WaitForFunctionAsync("() => document.getElementById('message').textContent.includes('changed since it was loaded')");
        Assert.Equal("theirs", (await server.SendAsync(HttpMethod.Get, "/v1/databases/shop/docs/items/i0000")).Body.GetProperty("name").GetString());

        // An index made from the console, shown building until ready.
        await page.ClickAsync("#tabs button[data-tab='indexes']");
        await page.TypeAsync("#index-coll", "items");
        await page.TypeAsync("#index-field", "n");
        await page.SelectAsync("#index-kind", "sorted");
        await page.ClickAsync("#create-index button");
        await page.WaitForFunctionAsync("() => document.getElementById('message').textContent === 'index ready'");
        Assert.Contains("ready", await page.EvaluateExpressionAsync<string>("[...document.querySelectorAll('#index-table tbody tr')].map(r => r.textContent).join('|')"), StringComparison.Ordinal);

        // The change feed, followed live.
        await page.ClickAsync("#tabs button[data-tab='changes']");
        await page.ClickAsync("#tail");
        await page.WaitForFunctionAsync("() => document.getElementById('tail-info').textContent.startsWith('following')");
        await server.SendAsync(HttpMethod.Post, "/v1/databases/shop/put", """{"coll":"items","id":"fresh","doc":{"n":1}}""");
        await page.WaitForFunctionAsync("() => [...document.querySelectorAll('#changes-table tbody td')].some(td => td.textContent === 'fresh')");
        await page.ClickAsync("#tail");

        // Live charts from /metrics: commits/s moves while writes go on.
        await page.ClickAsync("#tabs button[data-tab='activity']");
        using var writing = new CancellationTokenSource();
        var writer = Task.Run(async () =>
        {
            for (var i = 0; !writing.IsCancellationRequested; i++)
            {
                await server.SendAsync(HttpMethod.Post, "/v1/databases/shop/put", $$$"""{"coll":"live","id":"l{{{i}}}","doc":{"i":{{{i}}}}}""");
            }
        });
        try
        {
            await page.WaitForFunctionAsync(
                "() => { const c = document.querySelector(\"svg[data-chart='commits']\"); return Number(c.dataset.points) >= 3 && Number(c.closest('.chart').querySelector('h3 span').textContent) > 0; }",
                new WaitForFunctionOptions { Timeout = 20_000 });
        }
        finally
        {
            await writing.CancelAsync();
            await writer;
        }

        // Replication: the primary's line counts a replica once one streams from it.
        await page.WaitForFunctionAsync("() => document.getElementById('replication').textContent.includes('0 replicas streaming')");
        using (var replica = new ServerProcess(null, null, "--replica-of", $"http://127.0.0.1:{server.Port}"))
        {
            await page.WaitForFunctionAsync("() => document.getElementById('replication').textContent.includes('1 replica streaming')", new WaitForFunctionOptions { Timeout = 30_000 });
        }

        var screenshot = Path.Combine(Path.GetTempPath(), $"quire-console-{Guid.NewGuid():N}.png");
        await page.ScreenshotAsync(screenshot);
        Assert.True(new FileInfo(screenshot).Length > 10_000);
        if (Environment.GetEnvironmentVariable("QUIRE_CONSOLE_SCREENSHOT") is { Length: > 0 } keep)
        {
            File.Copy(screenshot, keep, overwrite: true);
        }

        File.Delete(screenshot);
        Assert.Empty(errors);

        // Reported, not asserted: the goals are a first paint under 1 s and 1,000 rows shown in under 200 ms.
        output.WriteLine($"console: first paint {firstPaint:F0} ms, 1,000 rows shown in {renderMs:F0} ms");
    }
}
