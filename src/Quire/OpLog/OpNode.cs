using System.Text.Json;

namespace Quire.OpLog;

/// <summary>
/// One op as nedb v2's replication primitives (<c>tip</c>, <c>since</c>) hand it out: what it
/// wrote, where it sits in the hash chain, and its provenance.
/// </summary>
/// <param name="Id">The document's id (null for a link or a file).</param>
/// <param name="Coll">The document's collection (null for a link or a file).</param>
/// <param name="Seq">The op's seq.</param>
/// <param name="Op">What it did, as the op log names it: <c>put</c>, <c>del</c>, <c>link</c>, <c>put_file</c>.</param>
/// <param name="Data">A put's document as stored (without <c>_seq</c>), else the op's payload.</param>
/// <param name="Prev">The previous op's chain hash, hex.</param>
/// <param name="CausedBy">A put's <c>_caused_by</c> seqs, else empty.</param>
/// <param name="Ts">When it was written, epoch milliseconds.</param>
/// <param name="ValidFrom">A put's <c>_valid_from</c>, or null.</param>
/// <param name="ValidTo">A put's <c>_valid_to</c>, or null.</param>
/// <param name="Hash">The op's chain hash, hex.</param>
public sealed record OpNode(string? Id, string? Coll, long Seq, string Op, JsonElement Data, string Prev, IReadOnlyList<JsonElement> CausedBy, long Ts, string? ValidFrom, string? ValidTo, string Hash)
{
    /// <summary>The node of an op-log record.</summary>
    public static OpNode Of(OpRecord record)
    {
        var payload = record.Payload;
        var isDocument = record.Op is "put" or "del";
        var data = record.Op == "put" && payload.TryGetProperty("doc", out var doc) ? doc : payload;
        var causedBy = record.Op == "put" && data.TryGetProperty("_caused_by", out var causes) && causes.ValueKind == JsonValueKind.Array
            ? causes.EnumerateArray().ToList()
            : [];
        return new OpNode(
            isDocument ? payload.GetProperty("id").GetString() : null,
            isDocument ? payload.GetProperty("coll").GetString() : null,
            record.Seq,
            record.Op,
            data,
            record.PrevHash,
            causedBy,
            record.Ts,
            record.Op == "put" ? Text(data, "_valid_from") : null,
            record.Op == "put" ? Text(data, "_valid_to") : null,
            record.Hash);
    }

    /// <summary>Writes <c>{id, coll, seq, op, data, prev, caused_by, ts, valid_from, valid_to, hash}</c>, <c>ts</c> in epoch seconds.</summary>
    public void WriteTo(Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        Nullable(writer, "id", Id);
        Nullable(writer, "coll", Coll);
        writer.WriteNumber("seq", Seq);
        writer.WriteString("op", Op);
        writer.WritePropertyName("data");
        Data.WriteTo(writer);
        writer.WriteString("prev", Prev);
        writer.WriteStartArray("caused_by");
        foreach (var cause in CausedBy)
        {
            cause.WriteTo(writer);
        }

        writer.WriteEndArray();
        writer.WriteNumber("ts", Ts / 1000m);
        Nullable(writer, "valid_from", ValidFrom);
        Nullable(writer, "valid_to", ValidTo);
        writer.WriteString("hash", Hash);
        writer.WriteEndObject();
    }

    private static string? Text(JsonElement data, string name) =>
        data.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static void Nullable(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is null)
        {
            writer.WriteNull(name);
        }
        else
        {
            writer.WriteString(name, value);
        }
    }
}
