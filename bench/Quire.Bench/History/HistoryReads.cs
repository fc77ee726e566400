using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Quire.Bench.Harness;
using Quire.Databases;
using Quire.Documents;
using Quire.Indexes;

namespace Quire.Bench.History;

/// <summary>
/// Reads now and AS OF a seq far back: a database of 1,000,000 documents (100,000 in a
/// quick run) with a sorted index on <c>score</c>, then 100,000 more ops (10,000) that
/// overwrite random documents with new scores. Then, in turns so drift falls on both:
/// NQL point reads by <c>_id</c> and the index's top ten, now and AS OF the seq before the
/// overwrites. Values are the mean microseconds per query, median of the turns.
/// </summary>
internal static class HistoryReads
{
    private const int BatchSize = 1000;

    public static void Run(BenchRun run)
    {
        var quick = run.Quick;
        var documents = quick ? 100_000 : 1_000_000;
        var back = quick ? 10_000 : 100_000;
        var reads = quick ? 2_000 : 20_000;
        var turns = quick ? 2 : 3;
        using var dir = new BenchDirectory("quire-asof");
        using var catalog = DatabaseCatalog.Open(dir.Path);
        var db = catalog.Create("bench");
        Console.WriteLine($"  (loading {documents:N0} documents, then {back:N0} overwrites)");
        db.CreateIndexAsync("docs", "score", IndexKind.Sorted).GetAwaiter().GetResult();
        var random = new Random(5);
        for (var i = 0; i < documents; i += BatchSize)
        {
            db.BatchAsync(Enumerable.Range(i, BatchSize).Select(n => Put(n, random)).ToList()).GetAwaiter().GetResult();
        }

        var asOf = db.Seq;
        for (var i = 0; i < back; i += BatchSize)
        {
            db.BatchAsync(Enumerable.Range(0, BatchSize).Select(_ => Put(random.Next(documents), random)).ToList()).GetAwaiter().GetResult();
        }

        db.CheckpointAsync().GetAwaiter().GetResult();
        Console.WriteLine($"  (AS OF {asOf}, {db.Seq - asOf:N0} ops back)");

        var samples = new Dictionary<string, List<double>>(StringComparer.Ordinal);
        for (var t = 0; t < turns; t++)
        {
            var ids = Enumerable.Range(0, reads).Select(_ => random.Next(documents)).ToArray();
            Sample(samples, "point", MeanMicroseconds(ids, id => $"FROM docs WHERE _id = \"d{id}\"", db));
            Sample(samples, "asof-point", MeanMicroseconds(ids, id => $"FROM docs AS OF {asOf} WHERE _id = \"d{id}\"", db));
            var few = ids[..(reads / 10)];
            Sample(samples, "top10-desc", MeanMicroseconds(few, _ => "FROM docs ORDER BY score DESC LIMIT 10", db));
            Sample(samples, "asof-top10", MeanMicroseconds(few, _ => $"FROM docs AS OF {asOf} ORDER BY score DESC LIMIT 10", db));
        }

        foreach (var (name, values) in samples)
        {
            run.Report.Add(new BenchResult("quire", name, Median.Of(values), "µs"));
        }
    }

    private static DocumentOp Put(int n, Random random) =>
        DocumentOp.Put("docs", $"d{n}", JsonDocument.Parse($$"""{"score": {{random.Next(1_000_000_000).ToString(CultureInfo.InvariantCulture)}}, "pad": "{{Pad}}"}""").RootElement);

    private static readonly string Pad = new('x', 100);

    private static void Sample(Dictionary<string, List<double>> samples, string name, double value)
    {
        if (!samples.TryGetValue(name, out var list))
        {
            samples[name] = list = [];
        }

        list.Add(value);
    }

    private static double MeanMicroseconds(int[] ids, Func<int, string> nql, Database db)
    {
        var queries = ids.Select(nql).ToArray();
        var rows = 0;
        var started = Stopwatch.GetTimestamp();
        foreach (var query in queries)
        {
            rows += db.Query(query).Rows.Count;
        }

        var elapsed = Stopwatch.GetElapsedTime(started);
        if (rows == 0)
        {
            throw new InvalidOperationException($"{queries[0]}: no rows");   // a read that finds nothing measures nothing
        }

        return elapsed.TotalMicroseconds / queries.Length;
    }
}
