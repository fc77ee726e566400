using System.Buffers.Binary;
using System.Numerics;

namespace Quire.Storage.Format;

/// <summary>
/// CRC-32C (Castagnoli) over spans, using the processor's CRC instruction through
/// <see cref="BitOperations.Crc32C(uint, ulong)"/>. Hot path: no allocation.
/// </summary>
public static class Crc32C
{
    /// <summary>The value to start a running CRC with.</summary>
    public const uint Seed = 0xFFFFFFFFu;

    /// <summary>Folds <paramref name="data"/> into a running CRC (start from <see cref="Seed"/>).</summary>
    public static uint Append(uint crc, ReadOnlySpan<byte> data)
    {
        while (data.Length >= 8)
        {
            crc = BitOperations.Crc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(data));
            data = data[8..];
        }

        foreach (var b in data)
        {
            crc = BitOperations.Crc32C(crc, b);
        }

        return crc;
    }

    /// <summary>Folds a 64-bit value (little-endian) into a running CRC.</summary>
    public static uint Append(uint crc, ulong value) => BitOperations.Crc32C(crc, value);

    /// <summary>Finishes a running CRC.</summary>
    public static uint Finish(uint crc) => ~crc;

    /// <summary>The CRC of one span.</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => Finish(Append(Seed, data));
}
