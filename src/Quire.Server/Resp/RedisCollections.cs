namespace Quire.Server.Resp;

/// <summary>The Redis types that live in a collection of their own, one document per field, member or element.</summary>
internal enum AggregateKind
{
    Hash,
    Set,
    List,
}

/// <summary>
/// The collections Redis hashes, sets and lists live in, named as nedbd names them: a hash
/// is the collection named by its key, a set <c>_set_&lt;key&gt;</c>, a list
/// <c>_list_&lt;key&gt;</c>, where every byte of the key outside <c>[A-Za-z0-9_]</c> is
/// written <c>__xx__</c> (two hex digits), so <c>user:1</c> is <c>user__3a__1</c>. Two
/// rules keep the names unambiguous where nedbd's are not: an underscore followed by another
/// (which could be read as the start of an escape) is escaped too, and so is a hash key's
/// leading underscore (so no hash is named like <c>_kv</c>, a set or a list). The empty key's
/// hash is <c>__</c>. A key whose name would pass 128 characters cannot hold these types.
/// </summary>
internal static class RedisCollections
{
    public const string SetPrefix = "_set_";
    public const string ListPrefix = "_list_";

    private const int MaxName = 128;

    /// <summary>The collection of <paramref name="key"/> as <paramref name="kind"/>, or null when the name would be too long.</summary>
    public static string? NameOf(AggregateKind kind, ReadOnlySpan<byte> key)
    {
        var name = kind switch
        {
            AggregateKind.Set => SetPrefix + Escape(key, escapeLeadingUnderscore: false),
            AggregateKind.List => ListPrefix + Escape(key, escapeLeadingUnderscore: false),
            _ => key.IsEmpty ? "__" : Escape(key, escapeLeadingUnderscore: true),
        };
        return name.Length <= MaxName ? name : null;
    }

    /// <summary>The collections <paramref name="key"/> would have as a hash, a set and a list (those short enough to exist), escaped once.</summary>
    public static List<(AggregateKind Kind, string Name)> All(ReadOnlySpan<byte> key)
    {
        var escaped = Escape(key, escapeLeadingUnderscore: false);
        var hash = key.IsEmpty ? "__" : key[0] == (byte)'_' ? Escape(key, escapeLeadingUnderscore: true) : escaped;
        var all = new List<(AggregateKind, string)>(3);
        foreach (var (kind, name) in (ReadOnlySpan<(AggregateKind, string)>)[(AggregateKind.Hash, hash), (AggregateKind.Set, SetPrefix + escaped), (AggregateKind.List, ListPrefix + escaped)])
        {
            if (name.Length <= MaxName)
            {
                all.Add((kind, name));
            }
        }

        return all;
    }

    /// <summary>The collection of <paramref name="key"/> as <paramref name="kind"/>.</summary>
    /// <exception cref="RespException">The key is too long to name a collection.</exception>
    public static string Of(AggregateKind kind, ReadOnlySpan<byte> key) =>
        NameOf(kind, key) ?? throw new RespException($"ERR key too long for a {kind.ToString().ToLowerInvariant()}: its collection name would pass {MaxName} characters");

    /// <summary>
    /// The Redis key and type a collection stands for, or null for a collection that is none
    /// of them (<c>_kv</c>, or another name starting with one underscore).
    /// </summary>
    public static (AggregateKind Kind, byte[] Key)? Parse(string collection) =>
        ParseAny(collection) is { } parsed && NameOf(parsed.Kind, parsed.Key) == collection ? parsed : null;   // only names written here

    private static (AggregateKind Kind, byte[] Key)? ParseAny(string collection)
    {
        if (collection.StartsWith(SetPrefix, StringComparison.Ordinal))
        {
            return Unescape(collection.AsSpan(SetPrefix.Length)) is { } key ? (AggregateKind.Set, key) : null;
        }

        if (collection.StartsWith(ListPrefix, StringComparison.Ordinal))
        {
            return Unescape(collection.AsSpan(ListPrefix.Length)) is { } key ? (AggregateKind.List, key) : null;
        }

        if (collection == "__")
        {
            return (AggregateKind.Hash, []);
        }

        if (collection.Length > 1 && collection[0] == '_' && collection[1] != '_')
        {
            return null;
        }

        return Unescape(collection) is { } hash ? (AggregateKind.Hash, hash) : null;
    }

    private static string Escape(ReadOnlySpan<byte> key, bool escapeLeadingUnderscore)
    {
        var length = 0;
        for (var i = 0; i < key.Length; i++)
        {
            length += IsPlain(key, i, escapeLeadingUnderscore) ? 1 : 6;
        }

        // Sized first, written once: this runs for every blind SET (the check that no hash, set or list holds the key).
        Span<char> name = length <= 1024 ? stackalloc char[length] : new char[length];
        var at = 0;
        for (var i = 0; i < key.Length; i++)
        {
            if (IsPlain(key, i, escapeLeadingUnderscore))
            {
                name[at++] = (char)key[i];
            }
            else
            {
                "__".CopyTo(name[at..]);
                key[i].TryFormat(name[(at + 2)..], out _, "x2", System.Globalization.CultureInfo.InvariantCulture);
                "__".CopyTo(name[(at + 4)..]);
                at += 6;
            }
        }

        return new string(name);
    }

    private static bool IsPlain(ReadOnlySpan<byte> key, int i, bool escapeLeadingUnderscore)
    {
        var b = key[i];
        return b is (>= (byte)'a' and <= (byte)'z') or (>= (byte)'A' and <= (byte)'Z') or (>= (byte)'0' and <= (byte)'9')
            || (b == (byte)'_' && !(i + 1 < key.Length && key[i + 1] == (byte)'_') && !(i == 0 && escapeLeadingUnderscore));
    }

    /// <summary>The bytes an escaped name stands for, or null when it is not one this class writes.</summary>
    private static byte[]? Unescape(ReadOnlySpan<char> name)
    {
        var key = new List<byte>(name.Length);
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (c == '_' && i + 5 < name.Length && name[i + 1] == '_' && name[i + 4] == '_' && name[i + 5] == '_'
                && byte.TryParse(name.Slice(i + 2, 2), System.Globalization.NumberStyles.AllowHexSpecifier, System.Globalization.CultureInfo.InvariantCulture, out var b))
            {
                key.Add(b);
                i += 5;
            }
            else if (char.IsAsciiLetterOrDigit(c) || c == '_')
            {
                key.Add((byte)c);
            }
            else
            {
                return null;
            }
        }

        return [.. key];
    }
}
