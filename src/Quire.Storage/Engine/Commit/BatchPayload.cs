using Quire.Storage.Format;

namespace Quire.Storage.Engine;

/// <summary>
/// The encoding of a batch's ops in a log record: a sequence of key writes, each
/// <c>[flags][varint key length][key][varint value length][value]</c> (no value for a
/// delete). Flag <see cref="Delete"/> marks a delete; <see cref="EndsOp"/> marks the
/// last write of an op, so op boundaries (and hence each write's seq) survive.
/// Flag <see cref="Chained"/> marks an op's chain record: its key is the record's key
/// prefix and its value the digest and body (see <see cref="HashChain"/>).
/// Flag <see cref="Erase"/> (no value) removes a key outright, leaving neither a
/// tombstone nor a past version: the engine's own writes, to reclaim past versions.
/// </summary>
public static class BatchPayload
{
    internal const byte Delete = 1;
    internal const byte EndsOp = 2;
    internal const byte Chained = 4;
    internal const byte Erase = 8;
    private const byte KnownFlags = Delete | EndsOp | Chained | Erase;

    internal static int VarintSize(int value)
    {
        var size = 1;
        for (var v = (uint)value; v >= 0x80; v >>= 7)
        {
            size++;
        }

        return size;
    }

    internal static int WriteVarint(Span<byte> destination, int value)
    {
        var v = (uint)value;
        var i = 0;
        while (v >= 0x80)
        {
            destination[i++] = (byte)(v | 0x80);
            v >>= 7;
        }

        destination[i++] = (byte)v;
        return i;
    }

    /// <summary>Reads the key writes of an encoded batch, one at a time. Hot path: no allocation.</summary>
    public ref struct Reader
    {
        private readonly ReadOnlySpan<byte> _data;
        private int _position;
        private int _opIndex;

        /// <summary>Starts reading <paramref name="payload"/>.</summary>
        public Reader(ReadOnlySpan<byte> payload)
        {
            _data = payload;
        }

        /// <summary>The index (within the batch) of the op the last write read belongs to.</summary>
        public int OpIndex { get; private set; }

        /// <summary>True when the last write read is a delete.</summary>
        public bool IsDelete { get; private set; }

        /// <summary>True when the last write read is a chain record (key prefix; digest and body).</summary>
        public bool IsChained { get; private set; }

        /// <summary>True when the last write read removes its key outright (an engine write).</summary>
        public bool IsErase { get; private set; }

        /// <summary>The key of the last write read.</summary>
        public ReadOnlySpan<byte> Key { get; private set; }

        /// <summary>The value of the last write read (empty for a delete).</summary>
        public ReadOnlySpan<byte> Value { get; private set; }

        /// <summary>Moves to the next write; false at the end. Throws <see cref="CorruptDataException"/> on malformed input.</summary>
        public bool MoveNext()
        {
            if (_position == _data.Length)
            {
                return false;
            }

            var flags = _data[_position++];
            if ((flags & ~KnownFlags) != 0)
            {
                throw Malformed("unknown flags");
            }

            OpIndex = _opIndex;
            IsDelete = (flags & Delete) != 0;
            IsChained = (flags & Chained) != 0;
            IsErase = (flags & Erase) != 0;
            Key = ReadBytes();
            Value = IsDelete || IsErase ? default : ReadBytes();
            if ((flags & EndsOp) != 0)
            {
                _opIndex++;
            }

            return true;
        }

        private ReadOnlySpan<byte> ReadBytes()
        {
            var length = 0;
            var shift = 0;
            while (true)
            {
                if (_position >= _data.Length || shift > 28)
                {
                    throw Malformed("truncated length");
                }

                var b = _data[_position++];
                length |= (b & 0x7F) << shift;
                if (b < 0x80)
                {
                    break;
                }

                shift += 7;
            }

            if (length < 0 || length > _data.Length - _position)
            {
                throw Malformed("length past the end");
            }

            var bytes = _data.Slice(_position, length);
            _position += length;
            return bytes;
        }

        private readonly CorruptDataException Malformed(string what) =>
            new($"malformed batch payload ({what}) at byte {_position}", "log record", -1);
    }
}
