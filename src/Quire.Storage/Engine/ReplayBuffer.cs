using System.Buffers.Binary;
using Quire.Storage.Tree;

namespace Quire.Storage.Engine;

/// <summary>
/// Gathers the key writes of a replayed log tail and applies them in key order, a
/// bounded chunk at a time. A tail of random writes applied in log order descends to a
/// random leaf per write, a few cache misses each (a profile of a 1M-op replay spent
/// half its time there); in key order the path stays in cache and each leaf is visited
/// once per chunk. Writes to one key keep their log order (the sort is by key, then
/// arrival), so the tree ends as the log says. Chain records are linked before they are
/// buffered, in log order. Only the replaying thread uses it.
/// </summary>
internal sealed class ReplayBuffer
{
    /// <summary>Bytes of keys and values held before a chunk is applied: enough to order a long tail well, small enough to stay cheap.</summary>
    public const int ChunkBytes = 32 * 1024 * 1024;

    private readonly int _chunkBytes;
    private byte[] _bytes = new byte[1024 * 1024];
    private Write[] _writes = new Write[16 * 1024];
    private ulong[] _heads = [];
    private int[] _order = [];
    private int _used;
    private int _count;

    /// <param name="chunkBytes">Bytes of keys and values held before a chunk is applied (tests use small ones).</param>
    public ReplayBuffer(int chunkBytes = ChunkBytes) => _chunkBytes = chunkBytes;

    /// <summary>Buffers one write; applies the chunk to <paramref name="tree"/> when it is full.</summary>
    public void Add(BTree tree, ReadOnlySpan<byte> key, long seq, ReadOnlySpan<byte> value, bool tombstone)
    {
        var size = key.Length + value.Length;
        if (_used + size > _chunkBytes)
        {
            ApplyTo(tree);
        }

        if (_used + size > _bytes.Length)
        {
            Array.Resize(ref _bytes, Math.Max(_used + size, Math.Min(_chunkBytes, _bytes.Length * 2)));
        }

        if (_count == _writes.Length)
        {
            Array.Resize(ref _writes, _writes.Length * 2);
        }

        key.CopyTo(_bytes.AsSpan(_used));
        value.CopyTo(_bytes.AsSpan(_used + key.Length));
        _writes[_count++] = new Write(_used, key.Length, value.Length, seq, tombstone);
        _used += size;
    }

    /// <summary>Applies every buffered write in key order and empties the buffer.</summary>
    public void ApplyTo(BTree tree)
    {
        if (_count == 0)
        {
            return;
        }

        // Order by the eight key bytes after the prefix all keys share (a sort of numbers),
        // then each run of equal ones by whole key and arrival.
        var writes = _writes.AsSpan(0, _count);
        var shared = SharedPrefix(writes);
        if (_heads.Length < _count)
        {
            _heads = new ulong[_writes.Length];
            _order = new int[_writes.Length];
        }

        var heads = _heads.AsSpan(0, _count);
        var order = _order.AsSpan(0, _count);
        for (var i = 0; i < writes.Length; i++)
        {
            heads[i] = Head(Key(writes[i])[Math.Min(shared, writes[i].KeyLength)..]);
            order[i] = i;
        }

        heads.Sort(order);
        for (var start = 0; start < heads.Length;)
        {
            var end = start + 1;
            while (end < heads.Length && heads[end] == heads[start])
            {
                end++;
            }

            if (end - start > 1)
            {
                order[start..end].Sort(CompareTies);
            }

            start = end;
        }

        foreach (var i in order)
        {
            ref readonly var write = ref writes[i];
            tree.Upsert(Key(write), write.Seq, _bytes.AsSpan(write.Offset + write.KeyLength, write.ValueLength), write.Tombstone);
        }

        _count = 0;
        _used = 0;
    }

    /// <summary>Orders two buffered writes (by index) whose heads tie: by whole key, then log order (one op may write a key twice; the later write wins).</summary>
    private int CompareTies(int a, int b)
    {
        var c = Key(_writes[a]).SequenceCompareTo(Key(_writes[b]));
        return c != 0 ? c : a.CompareTo(b);
    }

    private ReadOnlySpan<byte> Key(in Write write) => _bytes.AsSpan(write.Offset, write.KeyLength);

    private int SharedPrefix(ReadOnlySpan<Write> writes)
    {
        var first = Key(writes[0]);
        var shared = first.Length;
        foreach (var write in writes[1..])
        {
            shared = Math.Min(shared, first.CommonPrefixLength(Key(write)));
        }

        return shared;
    }

    /// <summary>Eight bytes big endian, zero-padded: ordered as the byte strings are, up to ties.</summary>
    private static ulong Head(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length >= 8)
        {
            return BinaryPrimitives.ReadUInt64BigEndian(bytes);
        }

        Span<byte> padded = stackalloc byte[8];
        padded.Clear();
        bytes.CopyTo(padded);
        return BinaryPrimitives.ReadUInt64BigEndian(padded);
    }

    private readonly record struct Write(int Offset, int KeyLength, int ValueLength, long Seq, bool Tombstone);
}
