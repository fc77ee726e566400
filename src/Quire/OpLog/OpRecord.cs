using System.Text.Json;

namespace Quire.OpLog;

/// <summary>
/// One op as the op log holds it: what was done, by whom, when, and its place in the hash
/// chain. <see cref="Body"/> is the RFC 8785 JSON the digest was computed over.
/// </summary>
/// <param name="Seq">The op's seq.</param>
/// <param name="Client">The client that sent it, or null.</param>
/// <param name="Nonce">The client's nonce for its batch, or null.</param>
/// <param name="Op"><c>put</c>, <c>del</c> or <c>link</c>.</param>
/// <param name="Payload">What it wrote: <c>{coll, id, doc}</c>, <c>{coll, id}</c> or <c>{frm, rel, to}</c>.</param>
/// <param name="Ts">When it was written, epoch milliseconds.</param>
/// <param name="Idem">Its idempotency key, or null.</param>
/// <param name="PrevHash">The previous chained op's hash, hex.</param>
/// <param name="Hash">SHA-256(previous hash || seq || SHA-256(body)), hex.</param>
/// <param name="Body">The canonical JSON of <c>{client, idem, nonce, op, payload, ts}</c>.</param>
public sealed record OpRecord(long Seq, string? Client, long? Nonce, string Op, JsonElement Payload, long Ts, string? Idem, string PrevHash, string Hash, byte[] Body)
{
    /// <summary>Writes the record as nedbd's log shows it: <c>{seq, client, nonce, op, payload, ts, idem, prev_hash, hash}</c>, <c>ts</c> in epoch seconds.</summary>
    public void WriteTo(Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        writer.WriteNumber("seq", Seq);
        WriteNullable(writer, "client", Client);
        if (Nonce is { } nonce)
        {
            writer.WriteNumber("nonce", nonce);
        }
        else
        {
            writer.WriteNull("nonce");
        }

        writer.WriteString("op", Op);
        writer.WritePropertyName("payload");
        Payload.WriteTo(writer);
        writer.WriteNumber("ts", Ts / 1000m);   // epoch seconds, as nedbd; the hashed body keeps milliseconds
        WriteNullable(writer, "idem", Idem);
        writer.WriteString("prev_hash", PrevHash);
        writer.WriteString("hash", Hash);
        writer.WriteEndObject();
    }

    private static void WriteNullable(Utf8JsonWriter writer, string name, string? value)
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
