using System.Text.Json.Nodes;
using Quire.Mongo;

namespace Quire.Tests.Mongo;

/// <summary>The MongoDB-style API on a database: filters, updates, aggregation, and its errors.</summary>
public class MongoTests
{
    private static JsonObject J(string json) => JsonNode.Parse(json)!.AsObject();

    private static async Task<DocumentsFixture> PeopleAsync()
    {
        var f = new DocumentsFixture();
        foreach (var doc in new[]
        {
            """{"_id": "a", "name": "ada", "age": 36, "tags": ["x", "y"], "city": "Oslo"}""",
            """{"_id": "b", "name": "Bob", "age": 25, "tags": ["y"]}""",
            """{"_id": "c", "name": "cy", "age": 41.5, "city": null}""",
            """{"_id": "d", "name": "dee", "age": "unknown"}""",
        })
        {
            await f.Db.MongoAsync("p", "insertOne", J($$"""{"document": {{doc}}}"""));
        }

        return f;
    }

    private static async Task<string[]> Ids(DocumentsFixture f, string filter) =>
        (await f.Db.MongoAsync("p", "find", J($$$"""{"filter": {{{filter}}}, "sort": {"_id": 1}}""")))["rows"]!.AsArray().Select(r => r!["_id"]!.GetValue<string>()).ToArray();

    [Fact]
    public async Task Filters_follow_mongodb_semantics()
    {
        using var f = await PeopleAsync();
        Assert.Equal(["a", "b"], await Ids(f, """{"tags": "y"}"""));                       // an array holds the value
        Assert.Equal(["a", "c"], await Ids(f, """{"age": {"$gt": 30}}"""));                 // "unknown" is not compared with numbers
        Assert.Equal(["b", "d"], await Ids(f, """{"age": {"$not": {"$gt": 30}}}"""));
        Assert.Equal(["b", "c", "d"], await Ids(f, """{"city": {"$in": [null]}}"""));       // missing equals null
        Assert.Equal(["a", "c"], await Ids(f, """{"city": {"$exists": true}}"""));          // null exists
        Assert.Equal(["b", "d"], await Ids(f, """{"city": {"$exists": false}}"""));
        Assert.Equal(["a", "b"], await Ids(f, """{"name": {"$regex": "^[ab]", "$options": "i"}}"""));
        Assert.Equal(["c", "d"], await Ids(f, """{"$or": [{"age": {"$gte": 40}}, {"age": {"$eq": "unknown"}}]}"""));
        Assert.Equal(["a"], await Ids(f, """{"$and": [{"tags": {"$all": ["x", "y"]}}, {"tags": {"$size": 2}}]}"""));
        Assert.Equal(["c", "d"], await Ids(f, """{"tags": {"$nin": ["y"]}}"""));
        Assert.Equal(["a", "c", "d"], await Ids(f, """{"name": {"$ne": "Bob"}}"""));
        Assert.Equal(["c"], await Ids(f, """{"age": 41.5}"""));
        Assert.Equal(["a"], await Ids(f, """{"_id": "a"}"""));
        Assert.Empty(await Ids(f, """{"tags": {"k": "x"}}"""));                          // an object never equals an array (found by fuzzing: it threw)
        var sorted = (await f.Db.MongoAsync("p", "find", J("""{"sort": {"age": -1}, "skip": 1, "limit": 2}""")))["rows"]!.AsArray();
        Assert.Equal(["c", "a"], sorted.Select(r => r!["_id"]!.GetValue<string>()));         // strings sort after numbers: "unknown" first descending
    }

    [Fact]
    public async Task Updates_change_only_what_they_name_and_are_ordinary_commits()
    {
        using var f = await PeopleAsync();
        var result = await f.Db.MongoAsync("p", "updateOne", J("""{"filter": {"_id": "a"}, "update": {"$set": {"home.city": "Rome"}, "$unset": {"city": 1}, "$inc": {"age": 1}, "$push": {"tags": {"$each": ["z"]}}, "$pull": {"tags": "x"}}}"""));
        Assert.Equal(1, result["modifiedCount"]!.GetValue<int>());
        var a = JsonNode.Parse(f.Db.Get("p", "a")!.Json)!;
        Assert.Equal(37, a["age"]!.GetValue<long>());
        Assert.Equal("Rome", a["home"]!["city"]!.GetValue<string>());
        Assert.Null(a["city"]);
        Assert.Equal(["y", "z"], a["tags"]!.AsArray().Select(t => t!.GetValue<string>()));

        var many = await f.Db.MongoAsync("p", "updateMany", J("""{"filter": {"age": {"$lt": 100}}, "update": {"$set": {"seen": true}}}"""));
        Assert.Equal((3, 3), (many["matchedCount"]!.GetValue<int>(), many["modifiedCount"]!.GetValue<int>()));
        var again = await f.Db.MongoAsync("p", "updateMany", J("""{"filter": {"seen": true}, "update": {"$set": {"seen": true}}}"""));
        Assert.Equal(0, again["modifiedCount"]!.GetValue<int>());                             // unchanged documents are not written
        var upsert = await f.Db.MongoAsync("p", "updateOne", J("""{"filter": {"name": "eve", "age": {"$gt": 1}}, "update": {"$set": {"age": 3}}, "upsert": true}"""));
        var eve = JsonNode.Parse(f.Db.Get("p", upsert["upsertedId"]!.GetValue<string>())!.Json)!;
        Assert.Equal(("eve", 3L), (eve["name"]!.GetValue<string>(), eve["age"]!.GetValue<long>()));
        await f.Db.MongoAsync("p", "replaceOne", J("""{"filter": {"_id": "b"}, "replacement": {"name": "robert"}}"""));
        Assert.Equal("""{"_id":"b","name":"robert","_seq":""" + f.Db.Get("p", "b")!.Seq + "}", System.Text.Encoding.UTF8.GetString(f.Db.Get("p", "b")!.Json));
        Assert.Equal(2, (await f.Db.MongoAsync("p", "deleteMany", J("""{"filter": {"seen": true, "age": {"$gt": 30}}}""")))["deletedCount"]!.GetValue<int>());
        Assert.Equal(3, f.Db.Query("FROM p").Rows.Count);                                       // NQL sees the writes at once
        Assert.True(f.Db.Verify().Ok);
    }

    [Fact]
    public async Task Aggregation_runs_its_stages_in_order()
    {
        using var f = await PeopleAsync();
        var rows = (await f.Db.MongoAsync("p", "aggregate", J("""
            {"pipeline": [{"$match": {"age": {"$gte": 0}}}, {"$group": {"_id": "$city", "n": {"$sum": 1}, "avg": {"$avg": "$age"}, "max": {"$max": "$age"}, "names": {"$push": "$name"}}},
                          {"$sort": {"n": -1}}, {"$project": {"names": 0}}]}
            """)))["rows"]!.AsArray();
        Assert.Equal(2, rows.Count);   // Oslo, and null (b has no city, c a null one)
        Assert.Equal("""{"_id":"Oslo","n":1,"avg":36,"max":36}""", rows.Single(r => r!["_id"]?.GetValue<string>() == "Oslo")!.ToJsonString());
        var counted = (await f.Db.MongoAsync("p", "aggregate", J("""{"pipeline": [{"$skip": 1}, {"$limit": 2}, {"$count": "n"}]}""")))["rows"]!.AsArray();
        Assert.Equal("""[{"n":2}]""", counted.ToJsonString());
        Assert.Equal(["Bob", "ada", "cy", "dee"], (await f.Db.MongoAsync("p", "distinct", J("""{"key": "name"}""")))["values"]!.AsArray().Select(v => v!.GetValue<string>()).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Bad_requests_are_refused_with_the_problem_named_and_change_nothing()
    {
        using var f = await PeopleAsync();
        var seq = f.Db.Seq;
        Assert.StartsWith("unknown mongo op", (await Assert.ThrowsAsync<MongoException>(() => f.Db.MongoAsync("p", "explode", []))).Message, StringComparison.Ordinal);
        Assert.Contains("'$where'", (await Assert.ThrowsAsync<MongoException>(() => f.Db.MongoAsync("p", "find", J("""{"filter": {"$where": "1"}}""")))).Message, StringComparison.Ordinal);
        Assert.Contains("'$near'", (await Assert.ThrowsAsync<MongoException>(() => f.Db.MongoAsync("p", "count", J("""{"filter": {"a": {"$near": 1}}}""")))).Message, StringComparison.Ordinal);
        Assert.Contains("'$rename'", (await Assert.ThrowsAsync<MongoException>(() => f.Db.MongoAsync("p", "updateMany", J("""{"filter": {}, "update": {"$rename": {"a": "b"}}}""")))).Message, StringComparison.Ordinal);
        Assert.Contains("'$lookup'", (await Assert.ThrowsAsync<MongoException>(() => f.Db.MongoAsync("p", "aggregate", J("""{"pipeline": [{"$lookup": {}}]}""")))).Message, StringComparison.Ordinal);
        Assert.Contains("duplicate key", (await Assert.ThrowsAsync<MongoException>(() => f.Db.MongoAsync("p", "insertOne", J("""{"document": {"_id": "a"}}""")))).Message, StringComparison.Ordinal);
        Assert.Contains("invalid $regex", (await Assert.ThrowsAsync<MongoException>(() => f.Db.MongoAsync("p", "find", J("""{"filter": {"name": {"$regex": "("}}}""")))).Message, StringComparison.Ordinal);
        Assert.Equal(seq, f.Db.Seq);
    }

    [Fact]
    public async Task Equality_filters_go_through_the_planner_and_its_indexes()
    {
        using var f = new DocumentsFixture();
        await f.Db.CreateIndexAsync("p", "k", Quire.Indexes.IndexKind.Eq);
        var ops = Enumerable.Range(0, 500).Select(i => Quire.Documents.DocumentOp.Put("p", $"d{i:D3}", System.Text.Json.JsonDocument.Parse($$"""{"k": "{{(i % 50 == 0 ? "x" : "y")}}", "tags": ["t{{i % 7}}"], "n": {{i}}}""").RootElement)).ToList();
        ops.Add(Quire.Documents.DocumentOp.Put("p", "arr", System.Text.Json.JsonDocument.Parse("""{"k": ["z", "x"], "n": 1000}""").RootElement));
        await f.Db.BatchAsync(ops);
        await f.Db.WhenIndexesReadyAsync();

        var command = new MongoCommand(f.Db, "p");
        var found = await command.RunAsync("find", J("""{"filter": {"k": "x", "n": {"$gte": 100}}}"""), default);
        Assert.Equal(["arr", "d100", "d150", "d200", "d250", "d300", "d350", "d400", "d450"], found["rows"]!.AsArray().Select(r => r!["_id"]!.GetValue<string>()));   // the array holding "x" too
        Assert.Equal("FROM p WHERE k = \"x\"", command.LastAccess);
        Assert.Equal(11, command.Examined);   // the index's 11 entries, not 501 documents
        Assert.Equal(Quire.Query.AccessPath.IndexEquality, f.Db.Explain("FROM p WHERE k = x").Access);

        await command.RunAsync("count", J("""{"filter": {"n": {"$gt": 5}}}"""), default);
        Assert.Equal("scan", command.LastAccess);                        // a range: Mongo's array semantics differ from NQL's
        var odd = await command.RunAsync("count", J("""{"filter": {"tags": "t3", "k": {"$eq": "y"}}}"""), default);
        Assert.Equal(Enumerable.Range(0, 500).Count(i => i % 7 == 3 && i % 50 != 0), odd["count"]!.GetValue<int>());
        var quoted = await command.RunAsync("count", J("""{"filter": {"k": "it's \"quoted\""}}"""), default);
        Assert.Equal(0, quoted["count"]!.GetValue<int>());
        Assert.Equal("scan", command.LastAccess);                        // not writable as an NQL literal: read everything
        await command.RunAsync("insertOne", J("""{"document": {"_id": "path", "k": "C:\\new"}}"""), default);
        var backslash = await command.RunAsync("find", J("""{"filter": {"k": "C:\\new"}}"""), default);
        Assert.Equal(["path"], backslash["rows"]!.AsArray().Select(r => r!["_id"]!.GetValue<string>()));   // NQL would read \n as a newline
        Assert.Equal("scan", command.LastAccess);
    }
}
