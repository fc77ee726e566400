namespace Quire.Storage.Tree;

/// <summary>
/// Bytes appended one after another into one growing buffer and dropped all at once:
/// a home for short-lived copies (the states a group replaces) without an object each.
/// </summary>
internal sealed class ByteArena
{
    private const int InitialSize = 64 * 1024;
    private const int KeepAtMost = 4 * 1024 * 1024;

    private byte[] _bytes = new byte[InitialSize];

    public int Length { get; private set; }

    /// <summary>Copies <paramref name="data"/> in; returns where it starts.</summary>
    public int Append(ReadOnlySpan<byte> data)
    {
        if (Length + data.Length > _bytes.Length)
        {
            Array.Resize(ref _bytes, Math.Max(Length + data.Length, _bytes.Length * 2));
        }

        data.CopyTo(_bytes.AsSpan(Length));
        var offset = Length;
        Length += data.Length;
        return offset;
    }

    public ReadOnlySpan<byte> Get(int offset, int length) => _bytes.AsSpan(offset, length);

    /// <summary>Forgets everything; a buffer grown very large by one big group is let go.</summary>
    public void Reset()
    {
        Length = 0;
        if (_bytes.Length > KeepAtMost)
        {
            _bytes = new byte[InitialSize];
        }
    }
}
