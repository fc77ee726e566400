using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Quire.Migration;

/// <summary>
/// Opens what an encrypted nedbd v1 database sealed: its data key from <c>key.enc</c>
/// (AES-256-GCM under HKDF-SHA256 of the master key material, salt <c>NEDB-hkdf-v1</c>,
/// info <c>nedb-key</c>, associated data <c>NEDB-DEK-v1</c>), then log lines and the
/// snapshot (<c>nonce(12) || ciphertext || tag(16)</c> under the data key, associated data
/// <c>NEDB-data-v1</c>). nedbd's own scheme, read only to move data out of it.
/// </summary>
internal sealed class NedbdCipher : IDisposable
{
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private static readonly byte[] DataAad = Encoding.ASCII.GetBytes("NEDB-data-v1");
    private static readonly byte[] KeyAad = Encoding.ASCII.GetBytes("NEDB-DEK-v1");
    private static readonly byte[] Salt = Encoding.ASCII.GetBytes("NEDB-hkdf-v1");
    private static readonly byte[] Info = Encoding.ASCII.GetBytes("nedb-key");

    private readonly AesGcm _aes;

    private NedbdCipher(byte[] dataKey)
    {
        _aes = new AesGcm(dataKey, TagSize);
    }

    /// <summary>
    /// The cipher of the database whose <c>key.enc</c> is at <paramref name="keyFilePath"/>,
    /// trying each of <paramref name="masterKeyCandidates"/> (nedbd takes <c>NEDB_TMK</c> as
    /// hex and <c>NEDB_TMK_FILE</c> as raw bytes, so a caller may not know which was meant).
    /// </summary>
    /// <exception cref="NedbdFormatException">No candidate opens the key, or the file is malformed.</exception>
    public static NedbdCipher Open(string keyFilePath, IReadOnlyList<byte[]> masterKeyCandidates)
    {
        byte[] nonce, sealedKey;
        try
        {
            using var json = JsonDocument.Parse(File.ReadAllBytes(keyFilePath));
            nonce = Convert.FromHexString(json.RootElement.GetProperty("n").GetString() ?? "");
            sealedKey = Convert.FromHexString(json.RootElement.GetProperty("ct").GetString() ?? "");
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or FormatException or InvalidOperationException)
        {
            throw new NedbdFormatException($"{keyFilePath} is not a nedbd key file: {ex.Message}");
        }

        if (nonce.Length != NonceSize || sealedKey.Length <= TagSize)
        {
            throw new NedbdFormatException($"{keyFilePath} is not a nedbd key file: bad nonce or key length");
        }

        if (masterKeyCandidates.Count == 0)
        {
            throw new NedbdFormatException($"the database is encrypted ({keyFilePath}): give nedbd's master key (NEDB_TMK, NEDB_TMK_FILE or --key-file)");
        }

        foreach (var material in masterKeyCandidates)
        {
            var wrapping = HKDF.DeriveKey(HashAlgorithmName.SHA256, material, 32, Salt, Info);
            using var aes = new AesGcm(wrapping, TagSize);
            var dataKey = new byte[sealedKey.Length - TagSize];
            try
            {
                aes.Decrypt(nonce, sealedKey.AsSpan(0, dataKey.Length), sealedKey.AsSpan(dataKey.Length), dataKey, KeyAad);
                return new NedbdCipher(dataKey);
            }
            catch (AuthenticationTagMismatchException)
            {
                // not this candidate
            }
        }

        throw new NedbdFormatException($"the master key given does not open {keyFilePath} (a wrong key for this database)");
    }

    /// <summary>Opens <c>nonce || ciphertext || tag</c>; null when it fails its tag.</summary>
    public byte[]? Open(ReadOnlySpan<byte> sealedBytes)
    {
        if (sealedBytes.Length < NonceSize + TagSize)
        {
            return null;
        }

        var plain = new byte[sealedBytes.Length - NonceSize - TagSize];
        try
        {
            _aes.Decrypt(sealedBytes[..NonceSize], sealedBytes.Slice(NonceSize, plain.Length), sealedBytes[^TagSize..], plain, DataAad);
            return plain;
        }
        catch (AuthenticationTagMismatchException)
        {
            return null;
        }
    }

    /// <summary>
    /// The plaintext of an envelope <c>{"enc":1,"ct":"base64"}</c> (a log line or the
    /// snapshot); the text itself when it is no envelope; null when it is one that does not open.
    /// </summary>
    public static byte[]? Unwrap(byte[] text, NedbdCipher? cipher)
    {
        if (!LooksLikeEnvelope(text))
        {
            return text;
        }

        try
        {
            using var json = JsonDocument.Parse(text);
            if (!json.RootElement.TryGetProperty("enc", out var enc) || enc.ValueKind != JsonValueKind.Number || enc.GetInt32() != 1
                || !json.RootElement.TryGetProperty("ct", out var ct))
            {
                return text;
            }

            return cipher?.Open(Convert.FromBase64String(ct.GetString() ?? ""));
        }
        catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException)
        {
            return text;
        }
    }

    private static bool LooksLikeEnvelope(ReadOnlySpan<byte> text) =>
        text.TrimStart(" \t"u8).StartsWith("{\"enc\""u8);

    public void Dispose() => _aes.Dispose();
}
