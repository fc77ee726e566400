using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Quire.Keys;
using Quire.Storage.Engine;

namespace Quire.Indexes;

/// <summary>
/// The numbers search postings name documents by. A search entry is
/// (collection, index id, term, number): eight bytes for the document where its id may
/// be hundreds, so a term's postings are a fraction of the bytes to merge. A document's
/// number is held in the collection's number table, (collection,
/// <see cref="Keyspace.SearchNumbersId"/>, number) → encoded id, probed from the id's home
/// (<see cref="Sha256Home"/>) onwards: open addressing, so two ids whose homes collide
/// still get numbers of their own. A slot is freed when its document is
/// deleted and the next slot is empty, which keeps every probe chain unbroken.
/// One table serves all of a collection's search indexes; collections without one have none.
/// </summary>
internal sealed class SearchNumbers
{
    /// <summary>The bytes of a number as a key element: its tag and eight bytes.</summary>
    public const int ElementLength = 9;

    /// <summary>Each slot this batch read or changed, as the batch now sees it (null: empty).</summary>
    private readonly Dictionary<byte[], byte[]?> _slots = new(ByteArrayComparer.Instance);
    private readonly KeyBuilder _key = new();
    private readonly Func<string, long> _home;
    private readonly Action<byte[], long> _onRead;

    /// <param name="home">Where an id's probe starts: <see cref="Sha256Home"/> (tests pass colliding ones).</param>
    /// <param name="onRead">Called once per slot read from the view with its key and version
    /// (<see cref="WriteBatch.Absent"/> when empty), so the batch can require it unchanged.</param>
    public SearchNumbers(Func<string, long> home, Action<byte[], long> onRead)
    {
        _home = home;
        _onRead = onRead;
    }

    /// <summary>Where <paramref name="id"/>'s probe starts: the first eight bytes of the SHA-256 of its UTF-8.</summary>
    public static long Sha256Home(string id)
    {
        Span<byte> utf8 = id.Length <= 256 ? stackalloc byte[Encoding.UTF8.GetMaxByteCount(id.Length)] : new byte[Encoding.UTF8.GetMaxByteCount(id.Length)];
        var length = Encoding.UTF8.GetBytes(id, utf8);
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(utf8[..length], hash);
        return BinaryPrimitives.ReadInt64BigEndian(hash);
    }

    /// <summary>The key of slot <paramref name="number"/> of <paramref name="collection"/>'s table.</summary>
    public static KeyBuilder SlotKey(KeyBuilder key, string collection, long number) =>
        Keyspace.Prefix(key, collection, Keyspace.SearchNumbersId).Int64(number);

    /// <summary>
    /// The number of document <paramref name="id"/> as <paramref name="view"/> and this
    /// batch's earlier changes hold it: its slot when it has one (<paramref name="held"/>
    /// true), else the first empty slot of its probe, which <see cref="Claim"/> takes.
    /// </summary>
    public long Find(Snapshot view, string collection, string id, out bool held)
    {
        var encodedId = new KeyBuilder().String(id).Span;
        for (var number = _home(id); ; number = unchecked(number + 1))
        {
            var slot = Read(view, collection, number);
            if (slot is null)
            {
                held = false;
                return number;
            }

            if (encodedId.SequenceEqual(slot))
            {
                held = true;
                return number;
            }
        }
    }

    /// <summary>Gives slot <paramref name="number"/> (found empty by <see cref="Find"/>) to <paramref name="id"/>.</summary>
    public void Claim(WriteBatch.OpBuilder op, string collection, string id, long number)
    {
        var key = SlotKey(_key, collection, number).ToArray();
        var value = new KeyBuilder().String(id).ToArray();
        _slots[key] = value;
        op.Put(key, value);
    }

    /// <summary>Frees slot <paramref name="number"/> of a deleted document, unless a probe chain runs on through the next slot.</summary>
    public void Release(Snapshot view, WriteBatch.OpBuilder op, string collection, long number)
    {
        if (Read(view, collection, unchecked(number + 1)) is not null)
        {
            return; // a later id's probe passes this slot: it stays taken
        }

        var key = SlotKey(_key, collection, number).ToArray();
        _slots[key] = null;
        op.Delete(key);
    }

    /// <summary>A slot's encoded id, null when empty.</summary>
    private byte[]? Read(Snapshot view, string collection, long number)
    {
        var key = SlotKey(_key, collection, number).ToArray();
        if (_slots.TryGetValue(key, out var seen))
        {
            return seen;
        }

        var found = view.TryGetVersioned(key, out var stored);
        _slots[key] = found ? stored.Value : null;
        _onRead(key, found ? stored.Version : WriteBatch.Absent);
        return found ? stored.Value : null;
    }
}
