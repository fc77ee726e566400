using Quire.Storage.Format;
using System.Buffers;

namespace Quire.Storage.Engine;

/// <summary>
/// An atomic list of ops. Each op owns the key writes it causes (a document and its
/// index entries, say) and takes one seq, which every key it writes records as its
/// version. Preconditions ("version of k is v", "k is absent") are checked against the
/// latest state before anything is applied; if any fails, nothing is.
/// The batch encodes ops as they are added, on the caller's thread, so the commit
/// path only copies bytes. Do not change a batch while its commit is pending.
/// </summary>
public sealed class WriteBatch : IDisposable
{
    /// <summary>The <c>expected</c> value of a precondition that the key must not exist.</summary>
    public const long Absent = -1;

    /// <summary>The longest key accepted, in bytes (a quarter of the smallest page, less cell overhead).</summary>
    public const int MaxKeyLength = 1000;

    private byte[] _buffer;
    private int _length;
    private int _lastFlags = -1;     // position of the flags byte of the last write, or -1
    private bool _opOpen;
    private List<Precondition>? _preconditions;

    /// <summary>Creates an empty batch.</summary>
    public WriteBatch()
    {
        _buffer = ArrayPool<byte>.Shared.Rent(256);
    }

    /// <summary>How many complete ops the batch holds.</summary>
    public int OpCount { get; private set; }

    /// <summary>The size of the encoded ops in bytes.</summary>
    public int ByteSize => _length;

    /// <summary>How many key writes (puts and deletes) the batch's ops hold.</summary>
    public int WriteCount { get; private set; }

    /// <summary>Bytes of keys and values written by the batch's ops (user data, for write amplification).</summary>
    public long UserBytes { get; private set; }

    /// <summary>The encoded ops, as the log stores them.</summary>
    public ReadOnlySpan<byte> Payload => _buffer.AsSpan(0, _length);

    internal IReadOnlyList<Precondition> Preconditions => (IReadOnlyList<Precondition>?)_preconditions ?? [];

    internal bool IsOpOpen => _opOpen;

    /// <summary>Whether a write names a key the engine keeps for itself (<see cref="HistoryKey.Reserved"/> first).</summary>
    internal bool TouchesReserved { get; private set; }

    /// <summary>A batch the engine writes itself: it may name reserved keys.</summary>
    internal bool IsEngineBatch { get; init; }

    /// <summary>Adds an op that puts one key.</summary>
    public WriteBatch Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        BeginOp().Put(key, value).End();
        return this;
    }

    /// <summary>Adds an op that deletes one key (leaving a tombstone with the op's seq).</summary>
    public WriteBatch Delete(ReadOnlySpan<byte> key)
    {
        BeginOp().Delete(key).End();
        return this;
    }

    /// <summary>Starts an op of several key writes; finish it with <see cref="OpBuilder.End"/>.</summary>
    public OpBuilder BeginOp()
    {
        if (_opOpen)
        {
            throw new InvalidOperationException("the previous op was not ended");
        }

        _opOpen = true;
        return new OpBuilder(this);
    }

    /// <summary>Requires <paramref name="key"/>'s version (the seq of the op that last put or
    /// deleted it) to be <paramref name="version"/>, or, with <see cref="Absent"/>, the key
    /// not to exist. It belongs to the op being built, or the next one.</summary>
    public WriteBatch Require(ReadOnlySpan<byte> key, long version)
    {
        if (version < Absent)
        {
            throw new ArgumentOutOfRangeException(nameof(version), "a version is a seq (>= 0) or WriteBatch.Absent");
        }

        CheckKey(key);
        (_preconditions ??= []).Add(new Precondition(key.ToArray(), version, OpCount));
        return this;
    }

    /// <summary>
    /// A batch holding exactly the writes, op boundaries and chain records of
    /// <paramref name="payload"/> (another engine's log record), as an engine batch: it may
    /// touch the engine's own keys, as the batch it copies may have.
    /// </summary>
    /// <exception cref="CorruptDataException">The payload is malformed.</exception>
    internal static WriteBatch FromPayload(ReadOnlySpan<byte> payload)
    {
        var batch = new WriteBatch { IsEngineBatch = true };
        var reader = new BatchPayload.Reader(payload);
        var op = -1;
        while (reader.MoveNext())
        {
            if (reader.OpIndex != op)
            {
                if (op >= 0)
                {
                    batch.EndOp();
                }

                batch._opOpen = true;
                op = reader.OpIndex;
            }

            var flags = (byte)((reader.IsDelete ? BatchPayload.Delete : 0) | (reader.IsChained ? BatchPayload.Chained : 0) | (reader.IsErase ? BatchPayload.Erase : 0));
            try
            {
                batch.AddWrite(flags, reader.Key, reader.Value);
            }
            catch (ArgumentException ex)
            {
                // A payload from outside (a replication stream) holding a write no batch could make.
                throw new CorruptDataException($"malformed batch payload ({ex.Message}) in op {reader.OpIndex}", "log record", -1);
            }
        }

        if (op >= 0)
        {
            batch.EndOp();
        }

        return batch;
    }

    /// <summary>Empties the batch for reuse.</summary>
    public void Clear()
    {
        _length = 0;
        _lastFlags = -1;
        _opOpen = false;
        OpCount = 0;
        WriteCount = 0;
        UserBytes = 0;
        TouchesReserved = false;
        _preconditions?.Clear();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
        }
    }

    private void AddWrite(byte flags, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        var hasValue = (flags & (BatchPayload.Delete | BatchPayload.Erase)) == 0;
        if ((flags & BatchPayload.Erase) == 0)
        {
            CheckKey(key);   // an erased past version's key may be longer than a key written
        }

        TouchesReserved |= HistoryKey.IsReserved(key);
        var needed = 1 + BatchPayload.VarintSize(key.Length) + key.Length
            + (hasValue ? BatchPayload.VarintSize(value.Length) + value.Length : 0);
        if ((long)_length + needed > Array.MaxLength / 2)
        {
            throw new BatchTooLargeException("the batch is too large to encode");
        }

        Ensure(_length + needed);
        var span = _buffer.AsSpan(_length);
        _lastFlags = _length;
        span[0] = flags;
        var p = 1 + BatchPayload.WriteVarint(span[1..], key.Length);
        key.CopyTo(span[p..]);
        p += key.Length;
        if (hasValue)
        {
            p += BatchPayload.WriteVarint(span[p..], value.Length);
            value.CopyTo(span[p..]);
            p += value.Length;
        }

        _length += p;
        WriteCount++;
        UserBytes += key.Length + value.Length;
    }

    private void AddChained(ReadOnlySpan<byte> keyPrefix, ReadOnlySpan<byte> digest, ReadOnlySpan<byte> body)
    {
        var value = ArrayPool<byte>.Shared.Rent(digest.Length + body.Length);
        try
        {
            digest.CopyTo(value);
            body.CopyTo(value.AsSpan(digest.Length));
            AddWrite(BatchPayload.Chained, keyPrefix, value.AsSpan(0, digest.Length + body.Length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(value);
        }
    }

    private void EndOp()
    {
        if (_lastFlags < 0 || (_buffer[_lastFlags] & BatchPayload.EndsOp) != 0)
        {
            throw new InvalidOperationException("an op must write at least one key");
        }

        _buffer[_lastFlags] |= BatchPayload.EndsOp;
        _opOpen = false;
        OpCount++;
    }

    private void Ensure(int size)
    {
        if (size <= _buffer.Length)
        {
            return;
        }

        var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(size, _buffer.Length * 2));
        _buffer.AsSpan(0, _length).CopyTo(bigger);
        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
        }

        _buffer = bigger;
    }

    private static void CheckKey(ReadOnlySpan<byte> key)
    {
        if (key.Length == 0)
        {
            throw new ArgumentException("a key must not be empty", nameof(key));
        }

        if (key.Length > MaxKeyLength)
        {
            throw new BatchTooLargeException($"a key of {key.Length} bytes exceeds the limit of {MaxKeyLength} bytes");
        }
    }

    /// <summary>Adds the key writes of one op; <see cref="End"/> completes it.</summary>
    public readonly struct OpBuilder
    {
        private readonly WriteBatch _batch;

        internal OpBuilder(WriteBatch batch)
        {
            _batch = batch;
        }

        /// <summary>Puts a key as part of this op.</summary>
        public OpBuilder Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
        {
            _batch.AddWrite(0, key, value);
            return this;
        }

        /// <summary>Deletes a key as part of this op.</summary>
        public OpBuilder Delete(ReadOnlySpan<byte> key)
        {
            _batch.AddWrite(BatchPayload.Delete, key, default);
            return this;
        }

        /// <summary>Removes a key outright (no tombstone, no past version): the engine's reclaiming of past versions.</summary>
        internal OpBuilder Erase(ReadOnlySpan<byte> key)
        {
            _batch.AddWrite(BatchPayload.Erase, key, default);
            return this;
        }

        /// <summary>
        /// Adds the op to the hash chain (see <see cref="HashChain"/>): when applied, the
        /// engine stores <c>previous hash || hash || digest || body</c> under
        /// <paramref name="keyPrefix"/> followed by the op's seq. At most one per op.
        /// </summary>
        public OpBuilder Chain(ReadOnlySpan<byte> keyPrefix, ReadOnlySpan<byte> digest, ReadOnlySpan<byte> body)
        {
            if (digest.Length != HashChain.HashSize)
            {
                throw new ArgumentException($"a digest is {HashChain.HashSize} bytes", nameof(digest));
            }

            if (keyPrefix.Length + 8 > MaxKeyLength)
            {
                throw new ArgumentException("the key prefix is too long", nameof(keyPrefix));
            }

            _batch.AddChained(keyPrefix, digest, body);
            return this;
        }

        /// <summary>Completes the op. An op must write at least one key.</summary>
        public void End() => _batch.EndOp();
    }
}

/// <summary>A precondition of a batch: <see cref="Key"/>'s version must be <see cref="Expected"/> (or absent).</summary>
internal sealed record Precondition(byte[] Key, long Expected, int OpIndex);
