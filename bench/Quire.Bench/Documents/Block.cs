using System.Text.Json.Nodes;

namespace Quire.Bench.Documents;

/// <summary>A block document of the bulk-blocks case: <c>{height, hash, time, txcount, miner, size}</c> under a random hash id.</summary>
public sealed record Block(string Id, long Height, string Miner, string Json)
{
    public static Block Create(Random random, long height)
    {
        Span<byte> hash = stackalloc byte[32];
        random.NextBytes(hash);
        var id = Convert.ToHexStringLower(hash);
        var miner = $"m{random.Next(50)}";
        var doc = new JsonObject
        {
            ["height"] = height,
            ["hash"] = id,
            ["time"] = 1_600_000_000 + (height * 600),
            ["txcount"] = random.Next(1, 4000),
            ["miner"] = miner,
            ["size"] = random.Next(200, 1_500_000),
        };
        return new Block(id, height, miner, doc.ToJsonString());
    }
}
