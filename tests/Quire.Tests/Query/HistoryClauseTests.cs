using System.Text.Json;
using Quire.Documents;

namespace Quire.Tests.Query;

/// <summary>VALID AS OF and TRACE, on nedbd's examples: policies valid for a period, and facts derived from facts.</summary>
public class HistoryClauseTests
{
    private static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement;

    private static List<string> Ids(Quire.Query.QueryResult result) =>
        result.Rows.Select(r => JsonDocument.Parse(r).RootElement.GetProperty("_id").GetString()!).ToList();

    [Fact]
    public async Task Valid_as_of_keeps_the_documents_valid_at_the_date()
    {
        using var f = new DocumentsFixture();
        var window = (string? from, string? to) => new Provenance { ValidFrom = from, ValidTo = to };
        await f.Db.BatchAsync([
            DocumentOp.Put("policy", "p2023", Json("""{"rate": 1}""")) with { Provenance = window("2023-01-01", "2024-01-01") },
            DocumentOp.Put("policy", "p2024", Json("""{"rate": 2}""")) with { Provenance = window("2024-01-01", "2025-01-01") },
            DocumentOp.Put("policy", "open", Json("""{"rate": 3}""")) with { Provenance = window("2024-02-01", null) },
            DocumentOp.Put("policy", "always", Json("""{"rate": 4}""")),
            DocumentOp.Put("policy", "odd", Json("""{"rate": 5, "_valid_from": 20240101}""")),
        ]);

        Assert.Equal(["always", "open", "p2024"], Ids(f.Db.Query("FROM policy VALID AS OF \"2024-02-15\"")));
        Assert.Equal(["always", "p2024"], Ids(f.Db.Query("FROM policy VALID AS OF \"2024-01-01\"")));   // from inclusive, to exclusive
        Assert.Equal(["p2023"], Ids(f.Db.Query("FROM policy WHERE rate < 3 VALID AS OF \"2023-06-01\"")));
        Assert.Equal(["always"], Ids(f.Db.Query("FROM policy VALID AS OF \"2023-06-01\" ORDER BY rate DESC LIMIT 3")));   // after LIMIT, as nedbd
        var grouped = f.Db.Query("FROM policy VALID AS OF \"2024-02-15\" GROUP BY x COUNT").Rows;
        Assert.Equal(3, JsonDocument.Parse(grouped[0]).RootElement.GetProperty("count").GetInt32());
    }

    [Fact]
    public async Task As_of_and_valid_as_of_together_read_what_was_recorded_then_for_the_valid_date()
    {
        using var f = new DocumentsFixture();
        var window = (string? from, string? to) => new Provenance { ValidFrom = from, ValidTo = to };
        await f.Db.BatchAsync([
            DocumentOp.Put("policy", "p2023", Json("""{"rate": 1}""")) with { Provenance = window("2023-01-01", "2024-01-01") },
            DocumentOp.Put("policy", "p2024", Json("""{"rate": 2}""")) with { Provenance = window("2024-01-01", "2025-01-01") },
        ]);
        var recorded = f.Db.Seq;
        // Later the 2024 rate is corrected, and its window cut short to February.
        await f.Db.WriteAsync(DocumentOp.Put("policy", "p2024", Json("""{"rate": 9}""")) with { Provenance = window("2024-01-01", "2024-02-01") });

        Rate(f.Db.Query($"FROM policy AS OF {recorded} VALID AS OF \"2024-02-15\""), 2);   // as then recorded
        Assert.Empty(f.Db.Query("FROM policy VALID AS OF \"2024-02-15\"").Rows);            // as now recorded: nothing valid then
        Rate(f.Db.Query("FROM policy VALID AS OF \"2024-01-15\""), 9);
        Rate(f.Db.Query($"FROM policy AS OF {recorded} WHERE rate > 0 VALID AS OF \"2023-06-01\""), 1);

        static void Rate(Quire.Query.QueryResult result, int expected) =>
            Assert.Equal(expected, JsonDocument.Parse(Assert.Single(result.Rows)).RootElement.GetProperty("rate").GetInt32());
    }

    [Fact]
    public async Task Trace_follows_caused_by_to_causes_and_reversed_to_effects_once_each()
    {
        using var f = new DocumentsFixture();
        var observed = await f.Db.PutAsync("facts", "observed", Json("""{"text": "the sky is grey"}"""));
        var forecast = await f.Db.WriteAsync(DocumentOp.Put("facts", "forecast", Json("""{"text": "rain likely"}""")) with { Provenance = new Provenance { CausedBy = [observed.Seq] } });
        await f.Db.WriteAsync(DocumentOp.Put("plans", "umbrella", Json("""{"take": true}""")) with { Provenance = new Provenance { CausedBy = [forecast.Seq, observed.Seq] } });
        await f.Db.PutAsync("facts", "observed", Json("""{"text": "the sky is black"}"""));   // changed since: TRACE shows what the cause wrote

        var causes = f.Db.Query("FROM plans WHERE _id = umbrella TRACE caused_by").Rows.Select(r => JsonDocument.Parse(r).RootElement).ToList();
        Assert.Equal(["forecast", "observed"], causes.Select(d => d.GetProperty("_id").GetString()));
        Assert.Equal("the sky is grey", causes[1].GetProperty("text").GetString());
        Assert.Equal(observed.Seq, causes[1].GetProperty("_seq").GetInt64());

        Assert.Equal(["forecast", "umbrella"], Ids(f.Db.Query("FROM facts WHERE _id = observed TRACE caused_by REVERSE")));   // effects of any of its versions
        Assert.Empty(f.Db.Query("FROM facts WHERE _id = observed TRACE caused_by").Rows);
        Assert.Equal(["umbrella"], Ids(f.Db.Query("FROM facts WHERE _id = forecast TRACE caused_by REVERSE LIMIT 5")));
    }

    [Fact]
    public async Task Trace_survives_cycles()
    {
        using var f = new DocumentsFixture();
        // a's put (seq 0) names seq 1, b's put (seq 1) names seq 0: a cycle through the op log.
        await f.Db.BatchAsync([
            DocumentOp.Put("c", "a", Json("{}")) with { Provenance = new Provenance { CausedBy = [1] } },
            DocumentOp.Put("c", "b", Json("{}")) with { Provenance = new Provenance { CausedBy = [0] } },
        ]);
        Assert.Equal(["b", "a"], Ids(f.Db.Query("FROM c WHERE _id = a TRACE caused_by")));
        Assert.Equal(["b", "a"], Ids(f.Db.Query("FROM c WHERE _id = a TRACE caused_by REVERSE")));
    }
}
