using System.Text.Json;
using System.Text.Json.Nodes;

namespace Quire.Bench.Documents;

/// <summary>
/// The "contribution" of BENCH.md's documents suite: a JSON document with 3 tags, a
/// sorted field and a 30-word text field, plus 3 links to other contributions.
/// </summary>
public sealed record Contribution(string Id, string Json, string[] Tags, double Score, string Text, string[] LinkTargets)
{
    private static readonly string[] Vocabulary = Enumerable.Range(0, 2000).Select(i => $"w{i:x}").ToArray();

    public static Contribution Create(Random random, int writer, long n)
    {
        var id = $"c{writer}-{n}-{random.Next():x}";
        var tags = Enumerable.Range(0, 3).Select(_ => $"t{random.Next(200)}").ToArray();
        var score = Math.Round(random.NextDouble() * 1000, 3);
        var text = string.Join(' ', Enumerable.Range(0, 30).Select(_ => Vocabulary[random.Next(Vocabulary.Length)]));
        var doc = new JsonObject
        {
            ["title"] = $"contribution {n} of writer {writer}",
            ["tags"] = new JsonArray(tags.Select(t => (JsonNode?)JsonValue.Create(t)).ToArray()),
            ["score"] = score,
            ["text"] = text,
        };
        var targets = Enumerable.Range(0, 3).Select(_ => $"c{random.Next(64)}-{random.Next(1000)}").ToArray();
        return new Contribution(id, doc.ToJsonString(), tags, score, text, targets);
    }

    public JsonElement Element() => JsonDocument.Parse(Json).RootElement;
}
