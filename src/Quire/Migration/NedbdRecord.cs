using System.Text.Json;

namespace Quire.Migration;

/// <summary>
/// One record of a nedbd v1 <c>log.aof</c>: <c>{seq, client, nonce, op, payload, ts, idem,
/// prev_hash, hash}</c> and, on puts with provenance, <c>caused_by</c>, <c>evidence</c>,
/// <c>confidence</c>, <c>valid_from</c>, <c>valid_to</c>. It owns its parsed line.
/// </summary>
internal sealed class NedbdRecord : IDisposable
{
    private readonly JsonDocument _json;

    private NedbdRecord(JsonDocument json, int line)
    {
        _json = json;
        Line = line;
        var root = json.RootElement;
        Seq = root.GetProperty("seq").GetInt64();
        Client = root.GetProperty("client").GetString() ?? "";
        Nonce = root.GetProperty("nonce") is { ValueKind: JsonValueKind.Number } nonce && nonce.TryGetInt64(out var n) ? n : null;
        Op = root.GetProperty("op").GetString() ?? "";
        Payload = root.GetProperty("payload");
        Ts = root.GetProperty("ts").GetDouble();
        Idem = root.TryGetProperty("idem", out var idem) && idem.ValueKind == JsonValueKind.String ? idem.GetString() : null;
        PrevHash = root.GetProperty("prev_hash").GetString() ?? "";
        Hash = root.GetProperty("hash").GetString() ?? "";
    }

    /// <summary>The line of <c>log.aof</c> it was read from, 1-based.</summary>
    public int Line { get; }

    /// <summary>Its seq: 0 for the first op, one more for each.</summary>
    public long Seq { get; }

    /// <summary>Who wrote it (<c>local</c>, <c>http</c>, <c>__ttl__</c>, <c>__snapshot__</c>, or a caller's name).</summary>
    public string Client { get; }

    /// <summary>The client's nonce for it.</summary>
    public long? Nonce { get; }

    /// <summary><c>put</c>, <c>delete</c>, <c>link</c>, <c>unlink</c>, <c>put_file</c> or <c>checkpoint</c>.</summary>
    public string Op { get; }

    /// <summary>What the op wrote (its shape depends on <see cref="Op"/>).</summary>
    public JsonElement Payload { get; }

    /// <summary>When it was written, epoch seconds.</summary>
    public double Ts { get; }

    /// <summary>Its idempotency key, or null.</summary>
    public string? Idem { get; }

    /// <summary>The previous record's hash, hex.</summary>
    public string PrevHash { get; }

    /// <summary>Its chain hash, hex.</summary>
    public string Hash { get; }

    /// <summary>The whole record as read.</summary>
    public JsonElement Root => _json.RootElement;

    /// <summary>A string member of the payload, or null.</summary>
    public string? Text(string name) =>
        Payload.ValueKind == JsonValueKind.Object && Payload.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    /// <summary>The record of one plaintext line; null when it is not a complete record (a torn or foreign line).</summary>
    public static NedbdRecord? Parse(byte[] text, int line)
    {
        JsonDocument json;
        try
        {
            json = JsonDocument.Parse(text);
        }
        catch (JsonException)
        {
            return null;   // a torn tail, or NaN/Infinity, which nedbd's Python writes and JSON has no token for
        }

        try
        {
            return new NedbdRecord(json, line);
        }
        catch (Exception ex) when (ex is KeyNotFoundException or InvalidOperationException or FormatException)
        {
            json.Dispose();
            return null;
        }
    }

    public void Dispose() => _json.Dispose();
}
