using System.Buffers;
using System.Security.Cryptography;
using Quire.Storage.Format;
using System.Text.Json;
using Quire.Keys;
using Quire.Storage.Engine;

namespace Quire.OpLog;

/// <summary>Reads the op log and checks its hash chain, from one snapshot.</summary>
internal static class OpLogReader
{
    /// <summary>The most recent <paramref name="limit"/> records, newest first (as nedbd's log).</summary>
    public static IEnumerable<OpRecord> Recent(Snapshot snapshot, int limit)
    {
        var count = 0;
        foreach (var entry in snapshot.Scan(Keyspace.OpLogPrefix, Keyspace.End(Keyspace.OpLogPrefix), reverse: true))
        {
            if (count++ == limit)
            {
                yield break;
            }

            yield return Parse(entry);
        }
    }

    /// <summary>
    /// The ops with seq greater than <paramref name="afterSeq"/> (-1: all), ascending, at most
    /// <paramref name="limit"/>. When ops were pruned after the cursor (the oldest kept does
    /// not follow the genesis and lies beyond the cursor's next op), the page would silently
    /// skip them: that is <see cref="HistoryGoneException"/> instead.
    /// </summary>
    public static SinceBatch Since(Snapshot snapshot, long afterSeq, int limit)
    {
        if (afterSeq >= snapshot.Seq)
        {
            return new SinceBatch([], afterSeq, afterSeq, snapshot.Seq, HasMore: false);   // no op after it yet
        }

        var from = afterSeq < 0 ? Keyspace.OpLogPrefix : Key(afterSeq + 1);
        var nodes = new List<OpNode>(Math.Min(limit, 1024));
        var hasMore = false;
        CheckNotPruned(snapshot, afterSeq);
        foreach (var entry in snapshot.Scan(from, Keyspace.End(Keyspace.OpLogPrefix)))
        {
            if (nodes.Count == limit)
            {
                hasMore = true;
                break;
            }

            nodes.Add(OpNode.Of(Parse(entry)));
        }

        return new SinceBatch(nodes, afterSeq, nodes.Count > 0 ? nodes[^1].Seq : afterSeq, snapshot.Seq, hasMore);
    }

    /// <summary>
    /// <see cref="Since"/>, each node handed to <paramref name="sink"/> as JSON (<see cref="OpNode.WriteTo"/>'s
    /// shape) written straight from the record, valid during the call: for servers that stream the feed.
    /// </summary>
    public static SincePage SinceJson(Snapshot snapshot, long afterSeq, int limit, OpNodeSink sink)
    {
        if (afterSeq >= snapshot.Seq)
        {
            return new SincePage(0, afterSeq, afterSeq, snapshot.Seq, HasMore: false);
        }

        CheckNotPruned(snapshot, afterSeq);
        var buffer = new ArrayBufferWriter<byte>(1024);
        using var writer = new Utf8JsonWriter(buffer);
        using var cursor = snapshot.Cursor(afterSeq < 0 ? Keyspace.OpLogPrefix : Key(afterSeq + 1), Keyspace.End(Keyspace.OpLogPrefix));
        var count = 0;
        var last = afterSeq;
        while (cursor.MoveNext())
        {
            if (count == limit)
            {
                return new SincePage(count, afterSeq, last, snapshot.Seq, HasMore: true);
            }

            last = new KeyReader(cursor.Key, 1).Int64();
            buffer.ResetWrittenCount();
            writer.Reset(buffer);
            OpNodeJson.Write(writer, last, cursor.Value);
            writer.Flush();
            sink(last, buffer.WrittenSpan);
            count++;
        }

        return new SincePage(count, afterSeq, last, snapshot.Seq, HasMore: false);
    }

    /// <summary>The latest op (of <paramref name="collection"/>, when given: a put or delete in it), or null.</summary>
    public static OpNode? Tip(Snapshot snapshot, string? collection)
    {
        foreach (var entry in snapshot.Scan(Keyspace.OpLogPrefix, Keyspace.End(Keyspace.OpLogPrefix), reverse: true))
        {
            var node = OpNode.Of(Parse(entry));
            if (collection is null || node.Coll == collection)
            {
                return node;
            }
        }

        return null;
    }

    /// <summary>The seq of the newest op record (internal commits, which write none, do not count), or null before the first.</summary>
    public static long? NewestSeq(Snapshot snapshot) =>
        snapshot.Scan(Keyspace.OpLogPrefix, Keyspace.End(Keyspace.OpLogPrefix), reverse: true).FirstOrDefault() is { } newest ? SeqOf(newest.Key) : null;

    /// <summary>The hash chain's head as <paramref name="snapshot"/> shows it (a view as of an earlier seq, say): the hash of its newest op record, zeros before the first; lower-case hex.</summary>
    public static string HeadAt(Snapshot snapshot)
    {
        // Op records are written once, keyed by seq: reading back from the snapshot's seq skips
        // the records a view as of an earlier seq would have to look through and hide.
        var through = new KeyBuilder().Byte(Keyspace.OpLog).Int64(snapshot.Seq + 1).ToArray();
        var newest = snapshot.Scan(Keyspace.OpLogPrefix, through, reverse: true).FirstOrDefault();
        return newest is null ? new string('0', 2 * HashChain.HashSize) : Parse(newest).Hash;
    }

    /// <summary>The op at <paramref name="seq"/>, or null when the log keeps none there (an internal commit's seq, or pruned).</summary>
    public static OpRecord? At(Snapshot snapshot, long seq)
    {
        var key = Key(seq);
        return snapshot.TryGetVersioned(key, out var stored) && stored.Value is { } value ? Parse(new StoredEntry(key, value, stored.Version)) : null;
    }

    /// <summary>
    /// For each seq named in a retained put's <c>_caused_by</c>, the seqs of those puts; and
    /// for each document, the seqs of its retained puts; both in seq order.
    /// </summary>
    public static Dictionary<long, List<long>> Effects(Snapshot snapshot, out Dictionary<(string Collection, string Id), List<long>> puts)
    {
        var effects = new Dictionary<long, List<long>>();
        puts = [];
        foreach (var entry in snapshot.Scan(Keyspace.OpLogPrefix, Keyspace.End(Keyspace.OpLogPrefix)))
        {
            var record = Parse(entry);
            if (record.Op == "put")
            {
                var document = (record.Payload.GetProperty("coll").GetString()!, record.Payload.GetProperty("id").GetString()!);
                if (!puts.TryGetValue(document, out var seqs))
                {
                    puts[document] = seqs = [];
                }

                seqs.Add(record.Seq);
            }

            foreach (var cause in OpNode.Of(record).CausedBy)
            {
                if (cause.ValueKind == JsonValueKind.Number && cause.TryGetInt64(out var seq))
                {
                    if (!effects.TryGetValue(seq, out var list))
                    {
                        effects[seq] = list = [];
                    }

                    list.Add(record.Seq);
                }
            }
        }

        return effects;
    }

    /// <summary>The range of ops the log keeps.</summary>
    public static OpLogStatus Status(Snapshot snapshot, OpLogStatus? previous = null)
    {
        // Records are only added after the newest and pruned from the oldest: while the oldest
        // stays, the count moves by the records after the previous newest alone.
        var oldest = OldestSeq(snapshot);
        if (previous is not null && oldest == previous.OldestSeq && previous.Count > 0 && previous.TipSeq <= snapshot.Seq)
        {
            var (added, newest) = CountFrom(snapshot, previous.NewestSeq + 1);
            return new OpLogStatus(snapshot.Seq, previous.OldestSeq, added == 0 ? previous.NewestSeq : newest, previous.Count + added);
        }

        var (count, last) = CountFrom(snapshot, 0);
        return new OpLogStatus(snapshot.Seq, count == 0 ? 0 : oldest ?? 0, last, count);
    }

    /// <summary>How many records there are from <paramref name="fromSeq"/> on, and the newest one's seq (0 for none).</summary>
    private static (long Count, long Newest) CountFrom(Snapshot snapshot, long fromSeq)
    {
        var from = new byte[Keyspace.OpLogPrefix.Length + 8];
        HashChain.RecordKey(Keyspace.OpLogPrefix, fromSeq, from);
        long count = 0, newest = 0;
        foreach (var entry in snapshot.Scan(from, Keyspace.End(Keyspace.OpLogPrefix)))
        {
            newest = SeqOf(entry.Key);
            count++;
        }

        return (count, newest);
    }

    /// <summary>
    /// Refuses a cursor whose following ops were pruned: the pruner records the highest seq it
    /// pruned. (Databases pruned before that record existed: the oldest record kept does not
    /// follow the genesis and lies beyond the cursor's next seq.)
    /// </summary>
    private static void CheckNotPruned(Snapshot snapshot, long afterSeq)
    {
        if (snapshot.Get(OpLogPruner.PrunedToKey) is { Length: 8 } marker)
        {
            var prunedTo = System.Buffers.Binary.BinaryPrimitives.ReadInt64BigEndian(marker);
            if (afterSeq < prunedTo)
            {
                throw new HistoryGoneException(afterSeq, OldestSeq(snapshot) ?? prunedTo + 1);
            }

            return;
        }

        var oldest = snapshot.Scan(Keyspace.OpLogPrefix, Keyspace.End(Keyspace.OpLogPrefix)).FirstOrDefault();
        if (oldest is not null && SeqOf(oldest.Key) > afterSeq + 1 && !HashChain.PreviousOf(oldest.Value).SequenceEqual(Genesis))
        {
            throw new HistoryGoneException(afterSeq, SeqOf(oldest.Key));
        }
    }

    private static long? OldestSeq(Snapshot snapshot) =>
        snapshot.Scan(Keyspace.OpLogPrefix, Keyspace.End(Keyspace.OpLogPrefix)).FirstOrDefault() is { } oldest ? SeqOf(oldest.Key) : null;

    private static readonly byte[] Genesis = new byte[HashChain.HashSize];

    private static byte[] Key(long seq)
    {
        var key = new byte[Keyspace.OpLogPrefix.Length + 8];
        HashChain.RecordKey(Keyspace.OpLogPrefix, seq, key);
        return key;
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

    internal static OpRecord Parse(StoredEntry entry)
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
