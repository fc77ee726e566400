using System.Buffers.Text;
using System.Text;
using System.Text.Unicode;
using Quire.Documents;

namespace Quire.Server.Resp;

/// <summary>
/// How Redis keys become document ids. A Redis key is any byte string; a document id is 1 to
/// 512 bytes of UTF-8. A key that is valid UTF-8, not empty, not over 512 bytes and not
/// starting with <c>~</c> is its own id, so NQL sees <c>FROM _kv WHERE _id = "user:1"</c>.
/// Any other key is stored as <c>~</c> followed by its bytes in base64url without padding
/// (the empty key is <c>~</c>): ids of that form are never plain keys, so no two keys share
/// an id, and every byte string round-trips. Keys whose escaped form passes 512 bytes
/// (over 381 bytes of non-UTF-8) are refused.
/// </summary>
internal static class RedisKeys
{
    private const byte Escape = (byte)'~';

    /// <summary>The id of <paramref name="key"/>, or null when it is too long to store.</summary>
    public static string? IdOf(ReadOnlySpan<byte> key)
    {
        if (key.Length is > 0 and <= Names.MaxIdBytes && key[0] != Escape && Utf8.IsValid(key))
        {
            return Encoding.UTF8.GetString(key);
        }

        var encoded = 1 + Base64Url.GetEncodedLength(key.Length);
        if (encoded > Names.MaxIdBytes)
        {
            return null;
        }

        return "~" + Base64Url.EncodeToString(key);
    }

    /// <summary>The key whose id is <paramref name="id"/>.</summary>
    public static byte[] KeyOf(string id) =>
        id.Length > 0 && id[0] == (char)Escape ? Base64Url.DecodeFromChars(id.AsSpan(1)) : Encoding.UTF8.GetBytes(id);
}
