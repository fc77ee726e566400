using System.Text.Json;
using System.Text.Json.Nodes;
using CsCheck;
using Microsoft.Extensions.Time.Testing;
using Quire.Databases;
using Quire.Documents;
using Quire.Indexes;
using Quire.Keys;
using Quire.Storage.Engine;
using Quire.TestSupport;

namespace Quire.Tests.Documents;

/// <summary>
/// Random puts, deletes, links and batches with right and wrong <c>if_seq</c>s, TTL
/// expiries and reaps, index creations (on populated collections too), reopens and power
/// losses in the middle of a commit, against a plain model. After every step every
/// index equals the index recomputed from the documents; after a power loss the database
/// holds the state before or after the interrupted batch, never part of it, and never
/// less than what was acknowledged; and the op log's hash chain verifies.
/// </summary>
public class DocumentPropertyTests
{
    private const string Directory = "/data/db";
    private static readonly string[] Collections = ["a", "b"];
    private static readonly string[] Fields = ["x", "tags", "text", "nested.v"];
    private static readonly string[] Words = ["red", "Green", "BLUE", "fox", "dog", "x1"];

    [Fact]
    public void Indexes_always_match_the_documents_and_batches_are_all_or_nothing() =>
        Gen.Int[0, int.MaxValue].Sample(seed => Run(seed).GetAwaiter().GetResult(), iter: Iterations(12), threads: 1);

    private static long Iterations(int ci) =>
        int.TryParse(Environment.GetEnvironmentVariable("QUIRE_PROPERTY_ITERATIONS"), out var n) ? n : ci;

    private static async Task Run(int seed)
    {
        var random = new Random(seed);
        var fs = new FaultyFileSystem(seed);
        var clock = new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000));
        var options = new DatabaseOptions
        {
            Storage = new StorageOptions { FileSystem = fs, MemoryBudget = random.Next(2) == 0 ? 4 * 8192 : 1L << 30 },
            Clock = clock,
            ExpiryScanInterval = TimeSpan.FromDays(1),
        };
        Database.Create(Directory, options);
        var db = Database.Open("db", Directory, options);
        var model = new Model();
        try
        {
            for (var step = 0; step < 30; step++)
            {
                var context = $"seed {seed} step {step}";
                switch (random.Next(12))
                {
                    case 0:
                        var index = await db.CreateIndexAsync(Pick(random, Collections), Pick(random, Fields), (IndexKind)random.Next(4));
                        Assert.True(index.Id > 0, context);
                        break;
                    case 1:
                        db.Dispose();
                        db = Database.Open("db", Directory, options);
                        break;
                    case 2:
                        clock.Advance(TimeSpan.FromMilliseconds(random.Next(0, 2500)));
                        if (random.Next(2) == 0)
                        {
                            await db.ReapExpiredAsync();
                        }

                        break;
                    case 3:
                        db = await CrashDuringBatch(db, fs, options, random, model, clock, context);
                        break;
                    default:
                        await RunBatch(db, random, model, clock, context);
                        break;
                }

                await db.WhenIndexesReadyAsync();
                model.AssertMatches(db, clock, context);
                IndexCheck.AssertAllConsistent(db);
                var verified = db.Verify();
                Assert.True(verified.Ok, $"{context}: {verified.Problem}");
            }
        }
        finally
        {
            db.Dispose();
        }
    }

    private static async Task RunBatch(Database db, Random random, Model model, FakeTimeProvider clock, string context)
    {
        var ops = GenerateOps(random, model, clock);
        var expected = model.Failures(ops, clock);
        try
        {
            var result = await db.BatchAsync(ops);
            Assert.True(expected.Count == 0, $"{context}: the batch committed though {expected.Count} if_seq(s) should fail");
            model.Apply(ops, result, clock);
        }
        catch (PreconditionFailedException ex)
        {
            Assert.Equal(expected, ex.Failures);
        }
    }

    /// <summary>The machine goes down a few writes into a batch; after a power loss the batch is wholly there or wholly not.</summary>
    private static async Task<Database> CrashDuringBatch(Database db, FaultyFileSystem fs, DatabaseOptions options, Random random, Model model, FakeTimeProvider clock, string context)
    {
        var ops = GenerateOps(random, model, clock).Select(op => op with { IfSeq = null }).ToList();
        var seqBefore = db.Seq;
        fs.CrashAfterChanges = random.Next(0, 6);
        fs.UnsyncedSectorSurvival = random.Next(3) * 0.5;
        BatchResult? acknowledged = null;
        try
        {
            acknowledged = await db.BatchAsync(ops);
        }
        catch (Exception ex) when (ex is IOException or StorageFailedException)
        {
            // Not acknowledged: it may or may not have reached the disk.
        }

        try
        {
            db.Dispose();
        }
        catch (Exception ex) when (ex is IOException or StorageFailedException or AggregateException)
        {
            // The machine is down.
        }

        fs.PowerLoss();
        db = Database.Open("db", Directory, options);
        // Nothing else writes meanwhile, so the seq tells whether the batch reached the disk: all of it or none.
        Assert.True(db.Seq == seqBefore || db.Seq == seqBefore + ops.Count, $"{context}: recovered seq {db.Seq}, before the batch {seqBefore}, batch of {ops.Count}");
        Assert.True(acknowledged is null || db.Seq == seqBefore + ops.Count, $"{context}: an acknowledged batch was lost");
        if (db.Seq > seqBefore)
        {
            model.Apply(ops, acknowledged ?? Seqs(ops, seqBefore + 1), clock);
        }

        model.AssertMatches(db, clock, $"{context} after a power loss ({(acknowledged is null ? "unacknowledged" : "acknowledged")} batch)");
        return db;
    }

    private static BatchResult Seqs(List<DocumentOp> ops, long first) =>
        new(ops.Select((op, i) => new OpResult(op.Kind, op.Id, first + i)).ToList(), first + ops.Count - 1);

    private static List<DocumentOp> GenerateOps(Random random, Model model, FakeTimeProvider clock)
    {
        var ops = new List<DocumentOp>();
        for (var n = random.Next(1, 6); n > 0; n--)
        {
            var collection = Pick(random, Collections);
            var id = $"d{random.Next(8)}";
            long? ifSeq = random.Next(4) switch
            {
                0 => model.Version(collection, id, clock) is { } v && random.Next(4) > 0 ? v : random.Next(-1, 40),
                1 => -1,
                _ => null,
            };
            switch (random.Next(6))
            {
                case 0:
                    ops.Add(DocumentOp.Delete(collection, id, ifSeq));
                    break;
                case 1:
                    ops.Add(DocumentOp.Link($"{collection}:{id}", Pick(random, ["r", "s"]), $"a:d{random.Next(8)}"));
                    break;
                default:
                    var doc = GenerateDocument(random);
                    ops.Add(DocumentOp.Put(collection, id, doc, ifSeq) with { TtlSeconds = random.Next(5) == 0 ? random.Next(1, 3) : null });
                    break;
            }
        }

        return ops;
    }

    private static JsonElement GenerateDocument(Random random)
    {
        var doc = new JsonObject();
        switch (random.Next(5))
        {
            case 0: break;
            case 1: doc["x"] = null; break;
            case 2: doc["x"] = $"s{random.Next(4)}"; break;
            default: doc["x"] = random.Next(4) == 0 ? random.NextDouble() * 10 : random.Next(-3, 4); break;
        }

        if (random.Next(3) > 0)
        {
            doc["tags"] = new JsonArray(Enumerable.Range(0, random.Next(4)).Select(_ => (JsonNode?)JsonValue.Create(Pick(random, Words))).ToArray());
        }

        if (random.Next(3) > 0)
        {
            doc["text"] = string.Join(" ", Enumerable.Range(0, random.Next(1, 5)).Select(_ => Pick(random, Words)));
        }

        if (random.Next(2) == 0)
        {
            doc["nested"] = new JsonObject { ["v"] = random.Next(3) };
        }

        return JsonDocument.Parse(doc.ToJsonString()).RootElement;
    }

    private static T Pick<T>(Random random, T[] items) => items[random.Next(items.Length)];

    /// <summary>What the database should hold: each document's JSON, version and expiry, and the links.</summary>
    private sealed class Model
    {
        private readonly Dictionary<(string, string), (string? Json, long Version, long? ExpiresAt)> _documents = [];
        private readonly HashSet<(string, string, string)> _links = [];

        public long? Version(string collection, string id, TimeProvider clock) =>
            _documents.TryGetValue((collection, id), out var d) ? d.Version : null;

        private bool Exists(string collection, string id, TimeProvider clock) =>
            _documents.TryGetValue((collection, id), out var d) && d.Json is not null && (d.ExpiresAt is not { } at || at > clock.GetUtcNow().ToUnixTimeMilliseconds());

        public List<PreconditionFailure> Failures(List<DocumentOp> ops, TimeProvider clock)
        {
            var failures = new List<PreconditionFailure>();
            for (var i = 0; i < ops.Count; i++)
            {
                var op = ops[i];
                if (op.IfSeq is not { } expected)
                {
                    continue;
                }

                var holds = expected == -1 ? !Exists(op.Collection, op.Id, clock) : Version(op.Collection, op.Id, clock) == expected;
                if (!holds)
                {
                    failures.Add(new PreconditionFailure(i, op.Collection, op.Id, expected, Version(op.Collection, op.Id, clock)));
                }
            }

            return failures;
        }

        public void Apply(List<DocumentOp> ops, BatchResult result, TimeProvider clock)
        {
            var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
            for (var i = 0; i < ops.Count; i++)
            {
                var op = ops[i];
                var seq = result.Results[i].Seq;
                switch (op.Kind)
                {
                    case OpKind.Put:
                        var expires = op.TtlSeconds is { } ttl ? now + (long)(ttl * 1000) : (long?)null;
                        var stored = JsonNode.Parse(op.Document.GetRawText())!.AsObject();
                        var json = new JsonObject { ["_id"] = op.Id };
                        foreach (var (name, value) in stored)
                        {
                            json[name] = value?.DeepClone();
                        }

                        if (expires is { } at)
                        {
                            json["_expires_at"] = at % 1000 == 0 ? JsonValue.Create(at / 1000) : JsonValue.Create(at / 1000m);   // epoch seconds
                        }

                        json["_seq"] = seq;
                        _documents[(op.Collection, op.Id)] = (json.ToJsonString(), seq, expires);
                        break;
                    case OpKind.Delete:
                        _documents[(op.Collection, op.Id)] = (null, seq, null);
                        break;
                    case OpKind.Link:
                        _links.Add((op.From, op.Relation, op.To));
                        break;
                }
            }
        }

        public void AssertMatches(Database db, TimeProvider clock, string context)
        {
            Sync(db);
            var mismatch = Mismatch(db, clock);
            Assert.True(mismatch is null, $"{context}: {mismatch}");
        }

        /// <summary>Takes the versions of reaped documents (deleted by the reaper with seqs of its own).</summary>
        private void Sync(Database db)
        {
            var key = new KeyBuilder();
            foreach (var ((collection, id), d) in _documents.ToList())
            {
                if (d.Json is not null && db.Engine.TryGetVersioned(Keyspace.Document(key, collection, id).Span, out var stored) && stored.IsDeleted)
                {
                    _documents[(collection, id)] = (null, stored.Version, null);
                }
            }
        }

        private string? Mismatch(Database db, TimeProvider clock)
        {
            foreach (var collection in Collections)
            {
                for (var n = 0; n < 8; n++)
                {
                    var id = $"d{n}";
                    var actual = db.Get(collection, id);
                    var expected = Exists(collection, id, clock) ? _documents[(collection, id)].Json : null;
                    var actualJson = actual is null ? null : System.Text.Encoding.UTF8.GetString(actual.Json);
                    if (!JsonEquals(expected, actualJson))
                    {
                        return $"{collection}/{id}: expected {expected ?? "absent"}, found {actualJson ?? "absent"}";
                    }
                }
            }

            var key = new KeyBuilder();
            foreach (var (from, rel, to) in _links)
            {
                if (db.Engine.Get(Keyspace.Edge(key, Keyspace.LinksOut, from, rel, to).Span) is null
                    || db.Engine.Get(Keyspace.Edge(key, Keyspace.LinksIn, to, rel, from).Span) is null)
                {
                    return $"link {from} -{rel}-> {to} missing";
                }
            }

            var outgoing = db.Engine.Scan([Keyspace.LinksOut], [Keyspace.LinksOut + 1]).Count;
            return outgoing == _links.Count ? null : $"{outgoing} links stored, {_links.Count} expected";
        }

        private static bool JsonEquals(string? a, string? b) =>
            a is null || b is null ? a == b : JsonNode.DeepEquals(JsonNode.Parse(a), JsonNode.Parse(b));
    }
}
