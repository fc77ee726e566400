using System.Buffers;
using System.Text;
using System.Text.Json;
using Quire.OpLog;

namespace Quire.Migration;

/// <summary>
/// nedbd's hash chain, checked on the way in: each record's hash is BLAKE2b-256 of the
/// previous hash (as its 64 hex characters) followed by the record's body as Python's
/// <c>json.dumps(sort_keys=True, separators=(",", ":"))</c> writes it: keys sorted, no
/// spaces, every character outside printable ASCII escaped as <c>\uXXXX</c>. Numbers are
/// copied as the log wrote them, which is already Python's text for them.
/// </summary>
internal static class NedbdChain
{
    /// <summary>The hash before the first record.</summary>
    public const string Genesis = "0000000000000000000000000000000000000000000000000000000000000000";

    private static readonly string[] BodyMembers = ["seq", "client", "nonce", "op", "payload", "ts", "idem"];
    private static readonly string[] OptionalMembers = ["caused_by", "evidence", "confidence", "valid_from", "valid_to"];

    /// <summary>The hash <paramref name="record"/> should carry after <paramref name="previousHash"/>, hex.</summary>
    public static string HashOf(NedbdRecord record, string previousHash)
    {
        var output = new ArrayBufferWriter<byte>(512);
        output.Write(Encoding.ASCII.GetBytes(previousHash));
        var members = new List<(string Name, JsonElement Value)>();
        foreach (var name in BodyMembers)
        {
            members.Add((name, record.Root.TryGetProperty(name, out var value) ? value : default));
        }

        foreach (var name in OptionalMembers)
        {
            if (record.Root.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null)
            {
                members.Add((name, value));
            }
        }

        WriteObject(members, output);
        Span<byte> digest = stackalloc byte[32];
        Blake2b.Hash(output.WrittenSpan, digest);
        return Convert.ToHexStringLower(digest);
    }

    private static void WriteObject(List<(string Name, JsonElement Value)> members, ArrayBufferWriter<byte> output)
    {
        members.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        output.Write("{"u8);
        for (var i = 0; i < members.Count; i++)
        {
            if (i > 0)
            {
                output.Write(","u8);
            }

            WriteString(members[i].Name, output);
            output.Write(":"u8);
            WriteValue(members[i].Value, output);
        }

        output.Write("}"u8);
    }

    private static void WriteValue(JsonElement value, ArrayBufferWriter<byte> output)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                WriteObject([.. value.EnumerateObject().Select(p => (p.Name, p.Value))], output);
                break;
            case JsonValueKind.Array:
                output.Write("["u8);
                var first = true;
                foreach (var item in value.EnumerateArray())
                {
                    if (!first)
                    {
                        output.Write(","u8);
                    }

                    first = false;
                    WriteValue(item, output);
                }

                output.Write("]"u8);
                break;
            case JsonValueKind.String:
                WriteString(value.GetString()!, output);
                break;
            case JsonValueKind.Number:
                output.Write(Encoding.ASCII.GetBytes(value.GetRawText()));
                break;
            case JsonValueKind.True:
                output.Write("true"u8);
                break;
            case JsonValueKind.False:
                output.Write("false"u8);
                break;
            default:
                output.Write("null"u8);
                break;
        }
    }

    /// <summary>A string as Python's <c>ensure_ascii</c> encoder writes it.</summary>
    private static void WriteString(string text, ArrayBufferWriter<byte> output)
    {
        var builder = new StringBuilder(text.Length + 2).Append('"');
        foreach (var c in text)
        {
            switch (c)
            {
                case '"': builder.Append("\\\""); break;
                case '\\': builder.Append("\\\\"); break;
                case '\n': builder.Append("\\n"); break;
                case '\r': builder.Append("\\r"); break;
                case '\t': builder.Append("\\t"); break;
                case '\b': builder.Append("\\b"); break;
                case '\f': builder.Append("\\f"); break;
                default:
                    if (c is >= ' ' and <= '~')
                    {
                        builder.Append(c);
                    }
                    else
                    {
                        builder.Append("\\u").Append(((int)c).ToString("x4", System.Globalization.CultureInfo.InvariantCulture));
                    }

                    break;
            }
        }

        output.Write(Encoding.ASCII.GetBytes(builder.Append('"').ToString()));
    }
}
