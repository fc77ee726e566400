using Quire.Databases;
using Quire.Documents;

namespace Quire.Server.Resp;

/// <summary>
/// Which Redis type a key holds: a string is its document in <c>_kv</c>, a hash, set or list
/// its collection (<see cref="RedisCollections"/>) holding at least one document. A command
/// for one type on a key holding another is refused with WRONGTYPE, as in Redis.
/// </summary>
internal static class RedisTypes
{
    /// <summary>The type's name as TYPE reports it: string, hash, set, list or none.</summary>
    public static string TypeOf(RedisTransaction tx, byte[] key)
    {
        if (tx.Get(RedisStore.Strings, RedisStore.Id(key)) is not null)
        {
            return "string";
        }

        return AggregateOf(tx, key) is { } kind ? Name(kind) : "none";
    }

    public static string Name(AggregateKind kind) => kind.ToString().ToLowerInvariant();

    /// <summary>The string key's document, null when the key does not exist.</summary>
    /// <exception cref="RespException">WRONGTYPE: the key holds a hash, set or list.</exception>
    public static Document? String(RedisTransaction tx, byte[] key)
    {
        var doc = tx.Get(RedisStore.Strings, RedisStore.Id(key));
        if (doc is null && AggregateOf(tx, key) is not null)
        {
            throw WrongType();
        }

        return doc;
    }

    /// <summary>The collection of <paramref name="key"/> as <paramref name="kind"/>.</summary>
    /// <exception cref="RespException">WRONGTYPE: the key holds another type; or the key is too long for the type.</exception>
    public static string Collection(RedisTransaction tx, byte[] key, AggregateKind kind)
    {
        var collection = RedisCollections.Of(kind, key);
        if (tx.Get(RedisStore.Strings, RedisStore.Id(key)) is not null)
        {
            throw WrongType();
        }

        foreach (var (other, name) in RedisCollections.All(key))
        {
            if (other != kind && tx.Any(name))
            {
                throw WrongType();
            }
        }

        return collection;
    }

    /// <summary>A hash's, set's or list's expiry (epoch seconds), kept on each of its documents; null when it has none.</summary>
    public static double? ExpiryOf(RedisTransaction tx, string collection) =>
        tx.Scan(collection).FirstOrDefault() is { } first ? RedisValues.ExpiresAt(first.Json) : null;

    /// <summary>The key's expiry (epoch seconds) whatever it holds, null when it has none or does not exist.</summary>
    public static double? ExpiryOfKey(RedisTransaction tx, byte[] key, string type) =>
        type switch
        {
            "none" => null,
            "string" => RedisValues.ExpiresAt(tx.Get(RedisStore.Strings, RedisStore.Id(key))!.Json),
            _ => ExpiryOf(tx, RedisCollections.Of(Enum.Parse<AggregateKind>(type, ignoreCase: true), key)),
        };

    /// <summary>Sets (or with null removes) the expiry of an existing key of <paramref name="type"/>: each of its documents written again with it.</summary>
    public static void SetExpiry(RedisTransaction tx, byte[] key, string type, double? expiresAt)
    {
        var collection = type == "string" ? RedisStore.Strings : RedisCollections.Of(Enum.Parse<AggregateKind>(type, ignoreCase: true), key);
        var docs = type == "string" ? [tx.Get(RedisStore.Strings, RedisStore.Id(key))!] : tx.Scan(collection).ToList();
        foreach (var doc in docs)
        {
            tx.Write(DocumentOp.Put(collection, doc.Id, RedisValues.WithExpiry(doc.Json, expiresAt)));
        }
    }

    /// <summary>Deletes the key whatever it holds; false when it did not exist.</summary>
    public static bool Delete(RedisTransaction tx, byte[] key)
    {
        var existed = false;
        var id = RedisStore.Id(key);
        if (tx.Get(RedisStore.Strings, id) is not null)
        {
            tx.Delete(RedisStore.Strings, id);
            existed = true;
        }

        foreach (var (_, name) in RedisCollections.All(key))
        {
            foreach (var doc in tx.Scan(name).ToList())
            {
                tx.Delete(name, doc.Id);
                existed = true;
            }
        }

        return existed;
    }

    /// <summary>
    /// Every key of the database with its type, strings first (in id order) then hashes, sets
    /// and lists (in collection order), each after <paramref name="after"/> (a position this
    /// returned), with its position.
    /// </summary>
    public static IEnumerable<(byte[] Key, string Type, string Position)> Keys(Database db, string? after = null)
    {
        if (after is null || after[0] == 's')
        {
            foreach (var doc in db.Scan(RedisStore.Strings, after?[1..]))
            {
                yield return (RedisKeys.KeyOf(doc.Id), "string", "s" + doc.Id);
            }
        }

        var afterCollection = after is not null && after[0] == 'c' ? after[1..] : null;
        foreach (var collection in db.Collections())
        {
            if (afterCollection is not null && string.CompareOrdinal(collection, afterCollection) <= 0)
            {
                continue;
            }

            if (RedisCollections.Parse(collection) is { } parsed && db.Scan(collection).Any())
            {
                yield return (parsed.Key, Name(parsed.Kind), "c" + collection);
            }
        }
    }

    private static AggregateKind? AggregateOf(RedisTransaction tx, byte[] key)
    {
        foreach (var (kind, name) in RedisCollections.All(key))
        {
            if (tx.Any(name))
            {
                return kind;
            }
        }

        return null;
    }

    private static RespException WrongType() => new(RespReply.WrongType.Text!);
}
