using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Quire.Storage.Crypto;

/// <summary>
/// The key that wraps each encrypted database's data key: never used on data itself, so
/// rotating it (<see cref="DatabaseKeys.Rewrap"/>) rewrites one small file per database,
/// not the data. Given as nedbd gives it: 64 hex characters (<c>NEDB_TMK</c>) or the raw
/// bytes of a file (<c>NEDB_TMK_FILE</c>, <c>--key-file</c>); either is normalised to 32
/// bytes with HKDF-SHA256, so any length of at least 16 bytes of key material works.
/// </summary>
public sealed class MasterKey
{
    private static readonly byte[] WrapInfo = Encoding.ASCII.GetBytes("quire master key: wraps data keys");
    private static readonly byte[] FingerprintInfo = Encoding.ASCII.GetBytes("quire master key: fingerprint");

    private MasterKey(byte[] material)
    {
        WrappingKey = HKDF.DeriveKey(HashAlgorithmName.SHA256, material, 32, salt: [], info: WrapInfo);
        Fingerprint = HKDF.DeriveKey(HashAlgorithmName.SHA256, material, 8, salt: [], info: FingerprintInfo);
        CryptographicOperations.ZeroMemory(material);
    }

    /// <summary>The key that seals data keys (AES-256-GCM).</summary>
    internal byte[] WrappingKey { get; }

    /// <summary>Eight bytes that identify the key without revealing it: a key file records the fingerprint of the key that wrapped it, so a wrong key is told from a damaged file.</summary>
    internal byte[] Fingerprint { get; }

    /// <summary>The fingerprint as 16 hex characters, for messages and logs.</summary>
    public string FingerprintHex => Convert.ToHexStringLower(Fingerprint);

    /// <summary>A key from 64 hex characters (32 bytes), as <c>NEDB_TMK</c> holds it; throws <see cref="FormatException"/> naming what is wrong.</summary>
    public static MasterKey FromHex(string hex)
    {
        ArgumentNullException.ThrowIfNull(hex);
        hex = hex.Trim();
        if (hex.Length != 64 || !hex.All(char.IsAsciiHexDigit))
        {
            throw new FormatException($"a master key is 64 hex characters (32 bytes); this one has {hex.Length.ToString(CultureInfo.InvariantCulture)} characters{(hex.All(char.IsAsciiHexDigit) ? "" : " and some are not hex digits")}");
        }

        return new MasterKey(Convert.FromHexString(hex));
    }

    /// <summary>A key from raw bytes (a key file's content); at least 16 bytes.</summary>
    public static MasterKey FromBytes(ReadOnlySpan<byte> material)
    {
        if (material.Length < 16)
        {
            throw new FormatException($"a master key file holds at least 16 bytes of key material; this one holds {material.Length.ToString(CultureInfo.InvariantCulture)}");
        }

        return new MasterKey(material.ToArray());
    }

    /// <summary>A key from the file at <paramref name="path"/>: its raw bytes, or 64 hex characters (a line of text, as <c>openssl rand -hex 32</c> writes).</summary>
    public static MasterKey FromFile(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var text = Encoding.ASCII.GetString(bytes).Trim();
        return text.Length == 64 && text.All(char.IsAsciiHexDigit) ? FromHex(text) : FromBytes(bytes);
    }
}
