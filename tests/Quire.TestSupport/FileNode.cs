namespace Quire.TestSupport;

/// <summary>One file's bytes: what the page cache holds, what is durable, and which sectors differ.</summary>
internal sealed class FileNode
{
    private byte[] _durable = [];
    private long _durableLength;
    private readonly HashSet<long> _dirtySectors = [];

    public byte[] Data { get; private set; } = [];

    public long Length { get; private set; }

    public void Write(long offset, ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            return;
        }

        var end = offset + data.Length;
        EnsureCapacity(end);
        data.CopyTo(Data.AsSpan((int)offset));
        Length = Math.Max(Length, end);
        for (var s = offset / FaultyFileSystem.SectorSize; s <= (end - 1) / FaultyFileSystem.SectorSize; s++)
        {
            _dirtySectors.Add(s);
        }
    }

    public void Sync()
    {
        _durable = Data.AsSpan(0, (int)Length).ToArray();
        _durableLength = Length;
        _dirtySectors.Clear();
    }

    public void LosePower(Random random, double survival)
    {
        var data = new byte[Math.Max(_durable.Length, Data.Length)];
        _durable.CopyTo(data, 0);
        var length = _durableLength;
        foreach (var sector in _dirtySectors.Order())
        {
            if (random.NextDouble() >= survival)
            {
                continue;
            }

            var start = sector * FaultyFileSystem.SectorSize;
            var end = Math.Min(Length, start + FaultyFileSystem.SectorSize);
            if (start >= end)
            {
                continue;
            }

            Data.AsSpan((int)start, (int)(end - start)).CopyTo(data.AsSpan((int)start));
            length = Math.Max(length, end);
        }

        Data = data;
        Length = length;
        Data.AsSpan((int)Length).Clear();
        Sync();
    }

    public void FlipBit(long offset, int bit)
    {
        Data[offset] ^= (byte)(1 << bit);
        if (offset < _durable.Length)
        {
            _durable[offset] ^= (byte)(1 << bit);
        }
    }

    private void EnsureCapacity(long size)
    {
        if (size <= Data.Length)
        {
            return;
        }

        var bigger = new byte[Math.Max(size, Data.Length * 2L)];
        Data.AsSpan(0, (int)Length).CopyTo(bigger);
        Data = bigger;
    }
}
