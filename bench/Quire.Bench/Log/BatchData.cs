namespace Quire.Bench.Log;

/// <summary>
/// One batch of puts laid out in a single buffer (key, value, key, value, ...), so the
/// data made before the clock is a few large objects, not thousands of small ones whose
/// tracing would show up as the measured system's GC pauses.
/// </summary>
public sealed class BatchData
{
    private const int PairSize = 16 + BenchKeys.ValueSize;
    private readonly byte[] _buffer;

    public BatchData(Random random, int count, long preloaded)
    {
        Count = count;
        _buffer = new byte[count * PairSize];
        random.NextBytes(_buffer);
        for (var i = 0; i < count; i++)
        {
            BenchKeys.Key(random.NextInt64(preloaded * 2)).CopyTo(_buffer, i * PairSize);
        }
    }

    public int Count { get; }

    public ReadOnlySpan<byte> Key(int i) => _buffer.AsSpan(i * PairSize, 16);

    public ReadOnlySpan<byte> Value(int i) => _buffer.AsSpan((i * PairSize) + 16, BenchKeys.ValueSize);
}
