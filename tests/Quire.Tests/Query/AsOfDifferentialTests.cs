using System.Text;
using System.Text.Json;
using CsCheck;
using Quire.Documents;
using Quire.Indexes;
using Quire.Query;
using static Quire.Tests.DocumentsFixture;

namespace Quire.Tests.Query;

/// <summary>
/// <c>AS OF n</c> against a model that records every state: random puts, deletes, batches
/// and links, with indexes built and dropped, checkpoints and reopens between them; then
/// random queries as of random seqs (mid-batch ones too) must return what the naive
/// evaluator returns over the state the model recorded for that seq, whatever indexes
/// existed then.
/// </summary>
public class AsOfDifferentialTests
{
    [Fact]
    public void Queries_as_of_any_kept_seq_see_the_state_recorded_then() =>
        Gen.Int[0, int.MaxValue].Sample(seed => Run(seed).GetAwaiter().GetResult(), iter: Iterations(12), threads: 1);

    private static long Iterations(int ci) =>
        int.TryParse(Environment.GetEnvironmentVariable("QUIRE_PROPERTY_ITERATIONS"), out var n) ? n : ci;

    private static async Task Run(int seed)
    {
        var random = new Random(seed);
        using var f = new DocumentsFixture();
        await f.Db.CreateIndexAsync("c", "text", IndexKind.Search);
        await f.Db.WhenIndexesReadyAsync();
        var model = new StateModel(f.Db.Seq);
        var searchFrom = f.Db.Seq;
        for (var phase = 0; phase < 6; phase++)
        {
            for (var step = 0; step < 25; step++)
            {
                var id = $"d{random.Next(30):x}";
                switch (random.Next(10))
                {
                    case < 5:
                        var put = await f.Db.WriteAsync(DocumentOp.Put("c", id, Json(QueryDifferentialTests.RandomDocument(random))));
                        model.Record([put]);
                        break;
                    case < 7:
                        model.Record([await f.Db.WriteAsync(DocumentOp.Delete("c", id))]);
                        break;
                    case < 9:
                        // A batch of distinct documents: each op's seq has a state of its own.
                        var ids = Enumerable.Range(0, random.Next(2, 6)).Select(_ => $"d{random.Next(30):x}").Distinct().ToList();
                        var ops = ids.Select(i => random.Next(4) == 0 ? DocumentOp.Delete("c", i) : DocumentOp.Put("c", i, Json(QueryDifferentialTests.RandomDocument(random)))).ToList();
                        model.Record((await f.Db.BatchAsync(ops)).Results);
                        break;
                    default:
                        var (from, rel, to) = ($"c:{id}", random.Next(2) == 0 ? "r" : "s", $"c:d{random.Next(30):x}");
                        model.Link(from, rel, to, await f.Db.LinkAsync(from, rel, to));
                        break;
                }
            }

            // Indexes come and go between phases, built while the history is read.
            var field = new[] { "a", "b", "tags", "n.v" }[random.Next(4)];
            if (random.Next(3) == 0)
            {
                await f.Db.DropIndexAsync("c", field);
            }
            else
            {
                await f.Db.CreateIndexAsync("c", field, (IndexKind)random.Next(3));
            }

            switch (random.Next(3))
            {
                case 0:
                    await f.Db.CheckpointAsync();
                    break;
                case 1:
                    await f.Db.WhenIndexesReadyAsync();
                    f.Reopen();
                    break;
            }

            for (var q = 0; q < 12; q++)
            {
                var seq = random.NextInt64(model.FirstSeq, f.Db.Seq + 1);
                var text = QueryDifferentialTests.RandomQuery(random, canSearch: seq >= searchFrom).Replace("FROM c", $"FROM c AS OF {seq}", StringComparison.Ordinal);
                var query = NqlParser.Parse(text);
                var (docs, links) = model.At(seq);
                var expected = NaiveNql.Run(query, docs, links, ["text"], end => docs.Cast<JsonElement?>().FirstOrDefault(d => end == $"c:{d!.Value.GetProperty("_id").GetString()}"));
                var actual = f.Db.Query(text).Rows.Select(r => Encoding.UTF8.GetString(r)).ToList();
                Assert.True(expected.SequenceEqual(actual), $"seed {seed}: {text}\nexpected {expected.Count}: {string.Join("\n  ", expected)}\nactual {actual.Count}: {string.Join("\n  ", actual)}");
            }
        }

        await f.Db.WhenIndexesReadyAsync();
    }

    /// <summary>Every state of collection <c>c</c> and of the links, by the seq that made it.</summary>
    private sealed class StateModel(long firstSeq)
    {
        private readonly List<(long Seq, string Id, string? Row)> _writes = [];
        private readonly List<(long Seq, string From, string Rel, string To)> _links = [];

        public long FirstSeq { get; } = firstSeq;

        public void Record(IEnumerable<OpResult> results)
        {
            foreach (var result in results)
            {
                _writes.Add((result.Seq, result.Id, result.Document is { } row ? Encoding.UTF8.GetString(row) : null));
            }
        }

        public void Link(string from, string rel, string to, long seq) => _links.Add((seq, from, rel, to));

        /// <summary>The documents (in id order, as a query without ORDER BY returns them) and links as of <paramref name="seq"/>.</summary>
        public (List<JsonElement> Docs, List<(string, string, string)> Links) At(long seq)
        {
            var rows = new SortedDictionary<string, string?>(StringComparer.Ordinal);
            foreach (var (writeSeq, id, row) in _writes.Where(w => w.Seq <= seq))
            {
                rows[id] = row;
            }

            var docs = rows.Values.OfType<string>().Select(r => JsonDocument.Parse(r).RootElement).ToList();
            var links = _links.Where(l => l.Seq <= seq).Select(l => (l.From, l.Rel, l.To)).Distinct().ToList();
            return (docs, links);
        }
    }
}
