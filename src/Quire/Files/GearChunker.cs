namespace Quire.Files;

/// <summary>
/// Cuts a file into content-defined chunks exactly as nedb does, so a file's Merkle root
/// is the same in Quire as in nedbd: a Gear rolling hash <c>h = (h &lt;&lt; 1) + GEAR[byte]</c>
/// from each chunk's start, cut after a byte where <c>h &amp; 0x1FFF == 0</c> once the chunk
/// holds 2 KiB, and at 64 KiB at the latest (about 8 KiB on average). An insertion moves
/// only the chunks around it, so versions of a file share most chunks.
/// </summary>
internal static class GearChunker
{
    public const int MinChunk = 2048;
    public const int MaxChunk = 65536;
    private const ulong CutMask = 0x1FFF;

    /// <summary>nedb's gear table: entry i is the first 64 random bits of Python's <c>random.Random(0x12345678 + i)</c>.</summary>
    private static readonly ulong[] Gear = MakeGear();

    /// <summary>The chunks' (start, length), in order; none for an empty file.</summary>
    public static List<(int Start, int Length)> Chunks(ReadOnlySpan<byte> data)
    {
        var chunks = new List<(int, int)>();
        var start = 0;
        while (start < data.Length)
        {
            var limit = Math.Min(start + MaxChunk, data.Length);
            ulong h = 0;
            var position = start;
            while (position < limit)
            {
                h = (h << 1) + Gear[data[position]];
                position++;
                if (position - start >= MinChunk && (h & CutMask) == 0)
                {
                    break;
                }
            }

            chunks.Add((start, position - start));
            start = position;
        }

        return chunks;
    }

    private static ulong[] MakeGear()
    {
        var gear = new ulong[256];
        for (var i = 0; i < gear.Length; i++)
        {
            var twister = new MersenneTwister(0x12345678u + (uint)i);
            var low = twister.Next();
            var high = twister.Next();
            gear[i] = ((ulong)high << 32) | low;
        }

        return gear;
    }

    /// <summary>MT19937 seeded as Python seeds it from a small integer (<c>init_by_array([seed])</c>).</summary>
    private sealed class MersenneTwister
    {
        private const int N = 624;
        private const int M = 397;
        private readonly uint[] _mt = new uint[N];
        private int _index = N;

        public MersenneTwister(uint seed)
        {
            _mt[0] = 19650218u;
            for (var i = 1; i < N; i++)
            {
                _mt[i] = (1812433253u * (_mt[i - 1] ^ (_mt[i - 1] >> 30))) + (uint)i;
            }

            int k = N, p = 1;
            for (; k > 0; k--)
            {
                _mt[p] = (_mt[p] ^ ((_mt[p - 1] ^ (_mt[p - 1] >> 30)) * 1664525u)) + seed;   // key = [seed], j = 0 always
                p++;
                if (p >= N)
                {
                    _mt[0] = _mt[N - 1];
                    p = 1;
                }
            }

            for (k = N - 1; k > 0; k--)
            {
                _mt[p] = (_mt[p] ^ ((_mt[p - 1] ^ (_mt[p - 1] >> 30)) * 1566083941u)) - (uint)p;
                p++;
                if (p >= N)
                {
                    _mt[0] = _mt[N - 1];
                    p = 1;
                }
            }

            _mt[0] = 0x80000000u;
        }

        public uint Next()
        {
            if (_index >= N)
            {
                for (var i = 0; i < N; i++)
                {
                    var y = (_mt[i] & 0x80000000u) | (_mt[(i + 1) % N] & 0x7fffffffu);
                    _mt[i] = _mt[(i + M) % N] ^ (y >> 1) ^ ((y & 1) != 0 ? 0x9908b0dfu : 0u);
                }

                _index = 0;
            }

            var x = _mt[_index++];
            x ^= x >> 11;
            x ^= (x << 7) & 0x9d2c5680u;
            x ^= (x << 15) & 0xefc60000u;
            x ^= x >> 18;
            return x;
        }
    }
}
