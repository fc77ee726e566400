using System.Text;
using System.Text.RegularExpressions;

namespace Quire.Documents;

/// <summary>The rules for database names, collection names, document ids and link ends.</summary>
public static partial class Names
{
    /// <summary>The longest document id, in UTF-8 bytes (it is part of every key of the document).</summary>
    public const int MaxIdBytes = 512;

    /// <summary>The longest relation name or link end, in UTF-8 bytes.</summary>
    public const int MaxLinkPartBytes = 300;

    /// <summary>True for a valid database name: <c>[A-Za-z0-9][A-Za-z0-9_-]{0,63}</c>.</summary>
    public static bool IsDatabaseName(string? name) => name is not null && DatabaseName().IsMatch(name);

    /// <summary>True for a valid collection name: <c>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}</c>.</summary>
    public static bool IsCollectionName(string? name) => name is not null && CollectionName().IsMatch(name);

    /// <summary>Throws <see cref="InvalidNameException"/> unless <paramref name="name"/> is a valid database name.</summary>
    public static void CheckDatabase(string? name)
    {
        if (!IsDatabaseName(name))
        {
            throw new InvalidNameException($"invalid database name: '{name}'");
        }
    }

    /// <summary>Throws <see cref="InvalidNameException"/> unless <paramref name="name"/> is a valid collection name.</summary>
    public static void CheckCollection(string? name)
    {
        if (!IsCollectionName(name))
        {
            throw new InvalidNameException($"invalid collection name: '{name}' (expected [A-Za-z0-9_][A-Za-z0-9_.-]{{0,127}})");
        }
    }

    /// <summary>Throws <see cref="InvalidNameException"/> unless <paramref name="id"/> is a valid document id: 1 to <see cref="MaxIdBytes"/> UTF-8 bytes.</summary>
    public static void CheckId(string? id)
    {
        if (string.IsNullOrEmpty(id) || Encoding.UTF8.GetByteCount(id) > MaxIdBytes)
        {
            throw new InvalidNameException($"invalid document id: it must be 1 to {MaxIdBytes} bytes of UTF-8");
        }
    }

    /// <summary>Throws <see cref="InvalidNameException"/> unless <paramref name="part"/> is a valid link end or relation.</summary>
    public static void CheckLinkPart(string what, string? part)
    {
        if (string.IsNullOrEmpty(part) || Encoding.UTF8.GetByteCount(part) > MaxLinkPartBytes)
        {
            throw new InvalidNameException($"invalid link {what}: it must be 1 to {MaxLinkPartBytes} bytes of UTF-8");
        }
    }

    // \z, not $: $ also matches before a final newline, which let "abc\n" through as a second "abc".
    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_-]{0,63}\\z")]
    private static partial Regex DatabaseName();

    [GeneratedRegex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}\\z")]
    private static partial Regex CollectionName();
}
