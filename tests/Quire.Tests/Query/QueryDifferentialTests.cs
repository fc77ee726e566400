using System.Globalization;
using System.Text;
using System.Text.Json;
using CsCheck;
using Quire.Indexes;
using Quire.Query;
using static Quire.Tests.DocumentsFixture;

namespace Quire.Tests.Query;

/// <summary>
/// Random queries over random data (mixed types, missing fields, nulls, duplicates,
/// arrays) run through the planner and executor, and through <see cref="NaiveNql"/>:
/// the same rows in the same order, whatever indexes exist.
/// </summary>
public class QueryDifferentialTests
{
    private static readonly string[] Literals = ["0", "1", "2", "1.0", "-3", "2.5", "1e1", "\"a\"", "\"b\"", "\"B\"", "\"1\"", "true", "false", "null", "x"];
    private static readonly string[] Fields = ["a", "b", "tags", "z", "n.v", "_id"];
    private static readonly string[] Ops = ["=", "!=", "<", "<=", ">", ">="];
    private static readonly string[] Words = ["red", "green", "fox", "dog"];

    [Fact]
    public void The_planner_returns_what_the_naive_evaluator_returns() =>
        Gen.Int[0, int.MaxValue].Sample(seed => Run(seed).GetAwaiter().GetResult(), iter: Iterations(25), threads: 1);

    private static long Iterations(int ci) =>
        int.TryParse(Environment.GetEnvironmentVariable("QUIRE_PROPERTY_ITERATIONS"), out var n) ? n : ci;

    private static async Task Run(int seed)
    {
        var random = new Random(seed);
        using var f = new DocumentsFixture();
        var ids = new List<string>();
        for (var i = 0; i < 60; i++)
        {
            // Short ids, and long ones sharing their first bytes: merges compare ids by their first eight bytes first.
            var n = random.Next(80);
            var id = random.Next(4) switch { 0 => $"d{n:x}", 1 => $"z{n:x}", 2 => $"doc-0000{n:x}", _ => $"doc-{n:x}-x" };
            ids.Add(id);
            await f.Db.PutAsync("c", id, Json(RandomDocument(random)));
        }

        var links = new List<(string, string, string)>();
        for (var i = 0; i < 30; i++)
        {
            var link = ($"c:{ids[random.Next(ids.Count)]}", random.Next(2) == 0 ? "r" : "s", $"c:{(random.Next(5) == 0 ? "missing" : ids[random.Next(ids.Count)])}");
            links.Add(link);
            await f.Db.LinkAsync(link.Item1, link.Item2, link.Item3);
        }

        foreach (var field in new[] { "a", "b", "tags", "n.v" })
        {
            if (random.Next(2) == 0)
            {
                await f.Db.CreateIndexAsync("c", field, (IndexKind)random.Next(3));
            }
        }

        var searchFields = new List<string>();
        if (random.Next(2) == 0)
        {
            await f.Db.CreateIndexAsync("c", "text", IndexKind.Search);
            searchFields.Add("text");
        }

        await f.Db.WhenIndexesReadyAsync();
        var docs = f.Db.Query("FROM c").Rows.Select(r => JsonDocument.Parse(r).RootElement).ToList();
        Assert.Equal(ids.Distinct().Count(), docs.Count);
        JsonElement? Lookup(string end)
        {
            var colon = end.IndexOf(':', StringComparison.Ordinal);
            return f.Db.Get(end[..colon], end[(colon + 1)..]) is { } d ? JsonDocument.Parse(d.Json).RootElement : null;
        }

        for (var q = 0; q < 40; q++)
        {
            var text = RandomQuery(random, searchFields.Count > 0);
            var query = NqlParser.Parse(text);
            var expected = NaiveNql.Run(query, docs, links, searchFields, Lookup);
            var actual = f.Db.Query(text).Rows.Select(r => Encoding.UTF8.GetString(r)).ToList();
            if (!expected.SequenceEqual(actual))
            {
                var plan = new MemoryStream();
                using (var writer = new Utf8JsonWriter(plan))
                {
                    f.Db.Explain(text).WriteTo(writer);
                }

                Assert.Fail($"seed {seed}: {text}\nplan {Encoding.UTF8.GetString(plan.ToArray())}\nexpected {expected.Count}: {string.Join("\n  ", expected)}\nactual {actual.Count}: {string.Join("\n  ", actual)}");
            }
        }
    }

    internal static string RandomDocument(Random random)
    {
        var parts = new List<string>();
        void Maybe(string name, Func<string> value)
        {
            if (random.Next(5) > 0)
            {
                parts.Add($"\"{name}\": {value()}");
            }
        }

        Maybe("a", () => random.Next(8) switch
        {
            0 => "[1, \"a\"]",
            1 => "{\"k\": 1}",
            _ => Literals[random.Next(Literals.Length)] is var l && l == "x" ? "\"x\"" : l,
        });
        Maybe("b", () => random.Next(3).ToString(CultureInfo.InvariantCulture));
        Maybe("tags", () => $"[{string.Join(", ", Enumerable.Range(0, random.Next(3)).Select(_ => $"\"{Words[random.Next(Words.Length)]}\""))}]");
        Maybe("text", () => $"\"{string.Join(" ", Enumerable.Range(0, random.Next(1, 4)).Select(_ => Words[random.Next(Words.Length)].ToUpperInvariant()))}\"");
        Maybe("n", () => $"{{\"v\": {random.Next(3)}}}");
        return "{" + string.Join(", ", parts) + "}";
    }

    internal static string RandomQuery(Random random, bool canSearch)
    {
        var text = new StringBuilder("FROM c");
        var conditions = random.Next(3);
        for (var i = 0; i < conditions; i++)
        {
            var field = Fields[random.Next(Fields.Length)];
            var literal = field == "_id" && random.Next(2) == 0 ? $"\"d{random.Next(80):x}\"" : Literals[random.Next(Literals.Length)];
            text.Append(i == 0 ? " WHERE " : " AND ").Append($"{field} {Ops[random.Next(Ops.Length)]} {literal}");
        }

        if (canSearch && random.Next(4) == 0)
        {
            // One to three words: two or more terms are intersected, three take the general merge.
            text.Append($" SEARCH \"{string.Join(' ', Enumerable.Range(0, random.Next(1, 4)).Select(_ => Words[random.Next(Words.Length)]))}\"");
        }

        if (random.Next(2) == 0)
        {
            text.Append($" ORDER BY {Fields[random.Next(Fields.Length)]}{(random.Next(2) == 0 ? " DESC" : random.Next(2) == 0 ? " ASC" : "")}");
        }

        if (random.Next(5) == 0)
        {
            text.Append($" TRAVERSE {(random.Next(2) == 0 ? "r" : "s")}");
        }

        if (random.Next(2) == 0)
        {
            text.Append($" LIMIT {random.Next(0, 12)}");
        }

        if (random.Next(5) == 0)
        {
            var aggregates = new[] { "", " COUNT", " SUM a", " AVG b", " MIN a", " MAX b" };
            text.Append($" GROUP BY {Fields[random.Next(Fields.Length)]}{aggregates[random.Next(aggregates.Length)]}");
        }

        return text.ToString();
    }
}
