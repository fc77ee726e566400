using System.Buffers.Binary;
using Quire.Storage.Tree;

namespace Quire.Storage.Engine;

/// <summary>
/// Gathers key writes and applies them in key order, a bounded chunk at a time: those of
/// a replayed log tail, and those of a large publication range being applied (its root
/// is frozen only at the end, so the order inside it is not observable). Random writes
/// applied in arrival order descend to a random leaf each, a few cache misses per write
/// (a profile of a 1M-op replay spent half its time there); in key order the path stays
/// in cache and each leaf is visited once per chunk. Writes to one key keep their order
/// (the sort is by key, then arrival), so the tree ends as the log says. Chain records
/// are linked before they are buffered, in log order.
/// A full chunk is sorted by the filling thread and applied on a pool thread while the
/// next one fills, so reading the log and applying it share the cores; one chunk is
/// applied at a time, in order, and only the applying thread touches the tree.
/// <see cref="ApplyTo"/> (the last chunk) or <see cref="Abandon"/> must end every use,
/// so that no apply outlives it. With chunks larger than anything added (as for a
/// publication range) nothing is handed over and <see cref="ApplyTo"/> applies all;
/// for a publication range a large chunk is applied in two halves on two threads
/// (<see cref="BTree.TryApplySortedInParallel"/>).
/// </summary>
internal sealed class KeyOrderBuffer
{
    /// <summary>Bytes of keys and values held before a chunk is applied: enough to order a long tail well, small enough to stay cheap.</summary>
    public const int ChunkBytes = 32 * 1024 * 1024;

    private readonly int _chunkBytes;
    private readonly bool _parallel;
    private Chunk _filling = new();
    private Chunk _spare = new();
    private Task? _applying;

    /// <param name="chunkBytes">Bytes of keys and values held before a chunk is applied (tests use small ones).</param>
    /// <param name="parallel">Whether a large chunk may be applied on two threads (<see cref="BTree.TryApplySortedInParallel"/>).</param>
    public KeyOrderBuffer(int chunkBytes = ChunkBytes, bool parallel = false)
    {
        _chunkBytes = chunkBytes;
        _parallel = parallel;
    }

    /// <summary>Buffers one write; hands the chunk to a pool thread to apply to <paramref name="tree"/> when it is full.</summary>
    public void Add(BTree tree, ReadOnlySpan<byte> key, long seq, ReadOnlySpan<byte> value, bool tombstone) =>
        Add(tree, key, seq, value, tombstone ? WriteKind.Tombstone : WriteKind.Put);

    /// <summary>Buffers one write of any kind (an erasure too).</summary>
    public void Add(BTree tree, ReadOnlySpan<byte> key, long seq, ReadOnlySpan<byte> value, WriteKind kind)
    {
        if (_filling.Used + key.Length + value.Length > _chunkBytes && _filling.Count > 0)
        {
            var full = _filling;
            full.Sort();      // here, while the previous chunk applies
            WaitForApply();   // one chunk applies at a time, in log order
            (_filling, _spare) = (_spare, full);
            _applying = ApplyInBackground(full, tree);
        }

        _filling.Add(key, seq, value, kind, _chunkBytes);
    }

    // Its own method: a lambda in Add capturing Add's parameters would allocate a closure on every Add.
    private Task ApplyInBackground(Chunk chunk, BTree tree)
    {
        var parallel = _parallel;
        return Task.Run(() =>
        {
            chunk.ApplyTo(tree, parallel);
            tree.FlushHistory();   // a long replay keeps no more than a chunk's past versions aside
        });
    }

    /// <summary>Applies every buffered write, after the chunk being applied, and empties the buffer.</summary>
    /// <exception cref="Format.CorruptDataException">A page the writes needed failed its checksum (in either chunk).</exception>
    public void ApplyTo(BTree tree)
    {
        _filling.Sort();
        WaitForApply();
        _filling.ApplyTo(tree, _parallel);
    }

    /// <summary>Waits for the chunk being applied, if any, ignoring how it ended: the replay failed and its tree is dropped.</summary>
    public void Abandon()
    {
        try
        {
            WaitForApply();
        }
        catch (Exception)
        {
            // The replay already failed for another reason; this one changes nothing.
        }
    }

    private void WaitForApply()
    {
        var applying = _applying;
        _applying = null;
        applying?.GetAwaiter().GetResult();
    }

    /// <summary>Buffered writes: their keys and values in one array, and where each starts.</summary>
    private sealed class Chunk
    {
        private byte[] _bytes = new byte[1024 * 1024];
        private Write[] _writes = new Write[16 * 1024];
        private ulong[] _heads = [];
        private int[] _order = [];

        public int Used { get; private set; }

        public int Count { get; private set; }

        public void Add(ReadOnlySpan<byte> key, long seq, ReadOnlySpan<byte> value, WriteKind kind, int chunkBytes)
        {
            var size = key.Length + value.Length;
            if (Used + size > _bytes.Length)
            {
                Array.Resize(ref _bytes, Math.Max(Used + size, Math.Min(chunkBytes, _bytes.Length * 2)));
            }

            if (Count == _writes.Length)
            {
                Array.Resize(ref _writes, _writes.Length * 2);
            }

            key.CopyTo(_bytes.AsSpan(Used));
            value.CopyTo(_bytes.AsSpan(Used + key.Length));
            _writes[Count++] = new Write(Used, key.Length, value.Length, seq, kind);
            Used += size;
        }

        /// <summary>Puts the writes in key order (ties by arrival), ready for <see cref="ApplyTo"/>.</summary>
        public void Sort()
        {
            if (Count == 0)
            {
                return;
            }

            // Order by the eight key bytes after the prefix all keys share (a sort of numbers),
            // then each run of equal ones by whole key and arrival.
            var writes = _writes.AsSpan(0, Count);
            var shared = SharedPrefix(writes);
            if (_heads.Length < Count)
            {
                _heads = new ulong[_writes.Length];
                _order = new int[_writes.Length];
            }

            var heads = _heads.AsSpan(0, Count);
            var order = _order.AsSpan(0, Count);
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
        }

        /// <summary>Applies every write in the order <see cref="Sort"/> left (on two threads when allowed and worth it) and empties the chunk.</summary>
        public void ApplyTo(BTree tree, bool parallel)
        {
            if (!parallel || !tree.TryApplySortedInParallel(Count, index => Key(_writes[_order[index]]), Apply))
            {
                Apply(tree, 0, Count);
            }

            Count = 0;
            Used = 0;
        }

        /// <summary>Applies the sorted writes [<paramref name="from"/>, <paramref name="to"/>) to <paramref name="writer"/>.</summary>
        private void Apply(BTree writer, int from, int to)
        {
            var writes = _writes.AsSpan(0, Count);
            foreach (var i in _order.AsSpan(from, to - from))
            {
                ref readonly var write = ref writes[i];
                if (write.Kind == WriteKind.Erase)
                {
                    writer.Erase(Key(write));
                    continue;
                }

                writer.Upsert(Key(write), write.Seq, _bytes.AsSpan(write.Offset + write.KeyLength, write.ValueLength), write.Kind == WriteKind.Tombstone);
            }
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

        private readonly record struct Write(int Offset, int KeyLength, int ValueLength, long Seq, WriteKind Kind);
    }
}

/// <summary>What a buffered write does to its key.</summary>
internal enum WriteKind : byte
{
    /// <summary>Sets a value.</summary>
    Put,

    /// <summary>Deletes, leaving a tombstone.</summary>
    Tombstone,

    /// <summary>Removes the cell outright (<see cref="BatchPayload.Erase"/>).</summary>
    Erase,
}
