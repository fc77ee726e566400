using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using MessagePack;

namespace Quire.Server.Tests.Http;

/// <summary>The batch endpoint taking MessagePack: the same ops, atomicity and errors as JSON.</summary>
public class MessagePackBatchTests
{
    private static async Task<(HttpStatusCode Status, JsonElement Body)> PostAsync(ServerProcess server, string path, byte[] body)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/msgpack");
        using var response = await server.Http.PostAsync(path, content);
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
    }

    private static byte[] Pack(object value) => MessagePackSerializer.Serialize(value, MessagePack.Resolvers.ContractlessStandardResolver.Options);

    [Fact]
    public async Task A_msgpack_batch_applies_its_ops_atomically_and_answers_as_the_json_batch()
    {
        using var server = new ServerProcess();
        Assert.Equal(HttpStatusCode.Created, (await server.SendAsync(HttpMethod.Post, "/v1/databases", """{"name": "mp"}""")).Status);
        var batch = new Dictionary<string, object>
        {
            ["ops"] = new object[]
            {
                new Dictionary<string, object> { ["op"] = "put", ["coll"] = "users", ["id"] = "u1", ["doc"] = new Dictionary<string, object?> { ["name"] = "ada", ["age"] = 36, ["score"] = 1.5, ["tags"] = new[] { "a", "b" }, ["none"] = null, ["raw"] = new byte[] { 1, 2, 3 } } },
                new Dictionary<string, object> { ["op"] = "put", ["coll"] = "users", ["id"] = "u2", ["doc"] = new Dictionary<string, object> { ["name"] = "bob" } },
                new Dictionary<string, object> { ["op"] = "link", ["frm"] = "users:u1", ["rel"] = "knows", ["to"] = "users:u2" },
                new Dictionary<string, object> { ["op"] = "del", ["coll"] = "users", ["id"] = "u2" },
            },
        };
        var (status, body) = await PostAsync(server, "/v1/databases/mp/batch", Pack(batch));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(4, body.GetProperty("count").GetInt32());
        Assert.True(body.GetProperty("atomic").GetBoolean());

        var (_, doc) = await server.SendAsync(HttpMethod.Get, "/v1/databases/mp/docs/users/u1");
        Assert.Equal("ada", doc.GetProperty("name").GetString());
        Assert.Equal(36, doc.GetProperty("age").GetInt32());
        Assert.Equal(1.5, doc.GetProperty("score").GetDouble());
        Assert.Equal("AQID", doc.GetProperty("raw").GetString());   // binary as base64
        Assert.Equal(JsonValueKind.Null, doc.GetProperty("none").ValueKind);

        // A failed precondition refuses the whole batch, with the JSON batch's 409.
        var conflict = new Dictionary<string, object>
        {
            ["ops"] = new object[]
            {
                new Dictionary<string, object> { ["op"] = "put", ["coll"] = "users", ["id"] = "u3", ["doc"] = new Dictionary<string, object>() },
                new Dictionary<string, object> { ["op"] = "put", ["coll"] = "users", ["id"] = "u1", ["doc"] = new Dictionary<string, object>(), ["if_seq"] = -1 },
            },
        };
        var (conflictStatus, conflictBody) = await PostAsync(server, "/v1/databases/mp/batch", Pack(conflict));
        Assert.Equal(HttpStatusCode.Conflict, conflictStatus);
        Assert.Equal("precondition_failed", conflictBody.GetProperty("error").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await server.SendAsync(HttpMethod.Get, "/v1/databases/mp/docs/users/u3")).Status);
    }

    [Fact]
    public async Task Bad_msgpack_is_a_clear_400_and_changes_nothing()
    {
        using var server = new ServerProcess();
        await server.SendAsync(HttpMethod.Post, "/v1/databases", """{"name": "mp"}""");
        var seq = (await server.SendAsync(HttpMethod.Get, "/v1/databases/mp/status")).Body.GetProperty("tip_seq").GetInt64();

        foreach (var body in new[] { new byte[] { 0xc1 }, [0x81, 0x01, 0x02], Pack(new Dictionary<string, object> { ["ops"] = 1 })[..^1], [.. Pack(new Dictionary<string, object> { ["ops"] = Array.Empty<object>() }), 0x00] })
        {
            var (status, error) = await PostAsync(server, "/v1/databases/mp/batch", body);
            Assert.Equal(HttpStatusCode.BadRequest, status);
            Assert.StartsWith("invalid MessagePack body", error.GetProperty("error").GetString(), StringComparison.Ordinal);
        }

        var (badOps, opsError) = await PostAsync(server, "/v1/databases/mp/batch", Pack(new Dictionary<string, object> { ["ops"] = "nope" }));
        Assert.Equal(HttpStatusCode.BadRequest, badOps);
        Assert.Equal("ops array is required", opsError.GetProperty("error").GetString());
        Assert.Equal(seq, (await server.SendAsync(HttpMethod.Get, "/v1/databases/mp/status")).Body.GetProperty("tip_seq").GetInt64());
        Assert.DoesNotContain("fail:", server.Output, StringComparison.Ordinal);
    }
}
