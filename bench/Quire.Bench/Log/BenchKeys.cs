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

    /// <summary>A random key among twice the preloaded count: half the puts overwrite, half insert.</summary>
    public static byte[] RandomKey(Random random, long preloaded) => Key(random.NextInt64(preloaded * 2));
}
