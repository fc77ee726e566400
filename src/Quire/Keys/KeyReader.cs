using System.Buffers.Binary;
using System.Text;

namespace Quire.Keys;

/// <summary>Reads a key built by <see cref="KeyBuilder"/> element by element.</summary>
internal ref struct KeyReader
{
    private readonly ReadOnlySpan<byte> _key;
    private int _position;

    public KeyReader(ReadOnlySpan<byte> key, int position = 0)
    {
        _key = key;
        _position = position;
    }

    /// <summary>Where the next element starts.</summary>
    public readonly int Position => _position;

    /// <summary>True when every element was read.</summary>
    public readonly bool AtEnd => _position >= _key.Length;

    /// <summary>Reads a raw byte (a keyspace tag).</summary>
    public byte Byte() => _key[_position++];

    /// <summary>Reads a string element.</summary>
    /// <exception cref="FormatException">The next element is not a whole string.</exception>
    public string String()
    {
        if (_key[_position] != KeyTags.String)
        {
            throw new FormatException($"expected a string element at byte {_position}");
        }

        var start = _position + 1;
        var end = EndOfEscaped(start);
        var raw = _key[start..end];
        _position = end + 1;
        if (_position < _key.Length && _key[_position] == KeyTags.Truncated)
        {
            throw new FormatException("a string cut to fit the key cannot be read back");
        }

        if (raw.IndexOf((byte)0) < 0)
        {
            return Encoding.UTF8.GetString(raw);
        }

        var bytes = new List<byte>(raw.Length);
        for (var i = 0; i < raw.Length; i++)
        {
            bytes.Add(raw[i]);
            if (raw[i] == 0)
            {
                i++; // the escape byte
            }
        }

        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    /// <summary>Reads a fixed-width unsigned integer element.</summary>
    public uint UInt32()
    {
        Expect(KeyTags.UInt32);
        var value = BinaryPrimitives.ReadUInt32BigEndian(_key[(_position + 1)..]);
        _position += 5;
        return value;
    }

    /// <summary>Reads a fixed-width signed integer element.</summary>
    public long Int64()
    {
        Expect(KeyTags.Int64);
        var value = (long)(BinaryPrimitives.ReadUInt64BigEndian(_key[(_position + 1)..]) ^ 0x8000_0000_0000_0000UL);
        _position += 9;
        return value;
    }

    /// <summary>Steps over one element of any type.</summary>
    public void Skip()
    {
        var tag = _key[_position];
        switch (tag)
        {
            case KeyTags.UInt32:
                _position += 5;
                break;
            case KeyTags.Int64:
                _position += 9;
                break;
            case KeyTags.False or KeyTags.True or KeyTags.Zero or KeyTags.Null:
                _position++;
                break;
            case KeyTags.PositiveNumber or KeyTags.NegativeNumber:
            {
                // Digits end with the byte whose low nibble is the 0 terminator (inverted: 0xF).
                var end = tag == KeyTags.PositiveNumber ? 0x0 : 0xF;
                var p = _position + 5;
                while ((_key[p] & 0x0F) != end)
                {
                    p++;
                }

                _position = p + 1;
                if (_position < _key.Length && _key[_position] == KeyTags.Truncated)
                {
                    _position++;   // a number cut to fit the key
                }

                break;
            }

            case KeyTags.String or KeyTags.Composite:
                _position = EndOfEscaped(_position + 1) + 1;
                if (_position < _key.Length && _key[_position] == KeyTags.Truncated)
                {
                    _position++;
                }

                break;
            default:
                throw new FormatException($"unknown key element tag 0x{tag:X2} at byte {_position}");
        }
    }

    private void Expect(byte tag)
    {
        if (_key[_position] != tag)
        {
            throw new FormatException($"expected element tag 0x{tag:X2} at byte {_position}, found 0x{_key[_position]:X2}");
        }
    }

    private readonly int EndOfEscaped(int start)
    {
        var p = start;
        while (true)
        {
            var zero = _key[p..].IndexOf((byte)0);
            if (zero < 0)
            {
                throw new FormatException("a string element has no end");
            }

            p += zero;
            if (p + 1 < _key.Length && _key[p + 1] == KeyTags.EscapedZero)
            {
                p += 2;
                continue;
            }

            return p;
        }
    }
}
