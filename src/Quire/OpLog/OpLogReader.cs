using Quire.Storage.Format;
using System.Security.Cryptography;
using System.Text.Json;
using Quire.Keys;
using Quire.Storage.Engine;

namespace Quire.OpLog;

/// <summary>Reads the op log and checks its hash chain, from one snapshot.</summary>
internal static class OpLogReader
{
    /// <summary>The most recent <paramref name="limit"/> records, newest first (as nedbd's log).</summary>
    public static List<OpRecord> Recent(Snapshot snapshot, int limit)
    {
        var records = new List<OpRecord>();
        foreach (var entry in snapshot.Scan(Keyspace.OpLogPrefix, Keyspace.End(Keyspace.OpLogPrefix), reverse: true))
        {
            if (records.Count == limit)
            {
                break;
            }

            records.Add(Parse(entry));
        }

        return records;
    }

    /// <summary>The inclusion proof of the op whose chain hash is <paramref name="hash"/> (lower-case hex), or null when no retained op has it.</summary>
    public static OpProof? Proof(Snapshot snapshot, string hash)
    {
        var fold = OpProof.Genesis;
        (long Seq, string PrevHead)? target = null;
        var subsequent = new List<string>();
        foreach (var entry in snapshot.Scan(Keyspace.OpLogPrefix, Keyspace.End(Keyspace.OpLogPrefix)))
        {
            var opHash = Convert.ToHexStringLower(HashChain.HashOf(entry.Value));
            if (target is not null)
            {
                subsequent.Add(opHash);
            }
            else if (opHash == hash)
            {
                target = (SeqOf(entry.Key), fold);
            }

            fold = OpProof.Step(fold, opHash);
        }

        return target is { } found ? new OpProof(hash, found.Seq, found.PrevHead, subsequent, fold) : null;
    }

    /// <summary>
    /// Recomputes the chain over every retained record, from the oldest one's previous
    /// hash: each digest from its body, each hash from the previous one, and the last
    /// against the head the engine holds. Returns null when it all holds, else what broke.
    /// </summary>
    public static string? Verify(Snapshot snapshot, out long records)
    {
        records = 0;
        byte[]? previous = null;
        Span<byte> hash = stackalloc byte[HashChain.HashSize];
        Span<byte> digest = stackalloc byte[HashChain.HashSize];
        foreach (var entry in snapshot.Scan(Keyspace.OpLogPrefix, Keyspace.End(Keyspace.OpLogPrefix)))
        {
            var record = entry.Value;
            var seq = SeqOf(entry.Key);
            if (previous is not null && !HashChain.PreviousOf(record).SequenceEqual(previous))
            {
                return $"the record at seq {seq} does not follow the one before it";
            }

            SHA256.HashData(HashChain.BodyOf(record), digest);
            if (!digest.SequenceEqual(HashChain.DigestOf(record)))
            {
                return $"the record at seq {seq} does not match its digest";
            }

            HashChain.Link(HashChain.PreviousOf(record), seq, digest, hash);
            if (!hash.SequenceEqual(HashChain.HashOf(record)))
            {
                return $"the record at seq {seq} does not match its hash";
            }

            previous = hash.ToArray();
            records++;
        }

        // With no record retained there is nothing to check the head against.
        return previous is null || snapshot.ChainHead.AsSpan().SequenceEqual(previous) ? null : "the last record's hash is not the chain's head";
    }

    private static OpRecord Parse(StoredEntry entry)
    {
        var record = entry.Value;
        var body = HashChain.BodyOf(record).ToArray();
        using var json = JsonDocument.Parse(body);
        var root = json.RootElement;
        return new OpRecord(
            SeqOf(entry.Key),
            root.GetProperty("client").GetString(),
            root.GetProperty("nonce").ValueKind == JsonValueKind.Number ? root.GetProperty("nonce").GetInt64() : null,
            root.GetProperty("op").GetString()!,
            root.GetProperty("payload").Clone(),
            root.GetProperty("ts").GetInt64(),
            root.GetProperty("idem").GetString(),
            Convert.ToHexStringLower(HashChain.PreviousOf(record)),
            Convert.ToHexStringLower(HashChain.HashOf(record)),
            body);
    }

    private static long SeqOf(byte[] key)
    {
        var reader = new KeyReader(key, 1);
        return reader.Int64();
    }
}
