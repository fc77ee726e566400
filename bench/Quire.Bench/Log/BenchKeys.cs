using System.Globalization;
using System.Text;

namespace Quire.Bench.Log;

/// <summary>The keys and values every system gets: 16-byte keys, 200-byte values of random bytes.</summary>
public static class BenchKeys
{
    public const int ValueSize = 200;

    public static byte[] Key(long i) => Encoding.ASCII.GetBytes("key:" + i.ToString("D12", CultureInfo.InvariantCulture));

    public static byte[] Value(Random random)
    {
        var value = new byte[ValueSize];
        random.NextBytes(value);
        return value;
    }

    /// <summary>Writes a random key among twice the preloaded count (half the puts overwrite, half insert) into a writer's own buffer, so generating load costs (almost) nothing.</summary>
    public static byte[] RandomKeyInto(byte[] key, Random random, long preloaded)
    {
        var n = random.NextInt64(preloaded * 2);
        for (var i = key.Length - 1; i >= 4; i--, n /= 10)
        {
            key[i] = (byte)('0' + (n % 10));
        }

        return key;
    }

    /// <summary>Per-writer key and value buffers; each put changes the value's first bytes.</summary>
    public sealed class WriterBuffers
    {
        private readonly byte[][] _keys;
        private readonly byte[][] _values;

        public WriterBuffers(int writers)
        {
            _keys = Enumerable.Range(0, writers).Select(_ => BenchKeys.Key(0)).ToArray();
            _values = Enumerable.Range(0, writers).Select(w => BenchKeys.Value(new Random(w))).ToArray();
        }

        public byte[] Key(int writer, Random random, long preloaded) => RandomKeyInto(_keys[writer], random, preloaded);

        public byte[] Value(int writer, Random random)
        {
            var value = _values[writer];
            BitConverter.TryWriteBytes(value, random.NextInt64());
            return value;
        }
    }
}
