using System.Buffers;
using System.Text.Json;
using Quire.Documents;
using Quire.Keys;
using Quire.Storage.Engine;

namespace Quire.Databases;

/// <summary>
/// The documents of some collections as JSON Lines, read from one snapshot: each line the
/// document as stored (<c>_id</c> first, no <c>_seq</c>, so the file imports again as it is),
/// with <c>"_coll"</c> first when the export spans several collections; in collection then id
/// order; expired documents left out. Nothing is parsed: stored bytes are copied out. Write
/// it a piece at a time with <see cref="WriteNext"/>; dispose it to release the snapshot.
/// </summary>
public sealed class DocumentExport : IDisposable
{
    private readonly Snapshot _snapshot;
    private readonly Queue<string> _pending;
    private readonly bool _withCollection;
    private readonly long _nowMs;
    private SnapshotCursor? _cursor;
    private byte[] _linePrefix = [];

    internal DocumentExport(Snapshot snapshot, IReadOnlyList<string> collections, bool withCollection, long nowMs)
    {
        _snapshot = snapshot;
        Collections = collections;
        _pending = new Queue<string>(collections);
        _withCollection = withCollection;
        _nowMs = nowMs;
    }

    /// <summary>The seq the export is consistent as of.</summary>
    public long Seq => _snapshot.Seq;

    /// <summary>The hash chain's head as of <see cref="Seq"/>, lower-case hex.</summary>
    public string Head => Convert.ToHexStringLower(_snapshot.ChainHead);

    /// <summary>The collections exported, in order.</summary>
    public IReadOnlyList<string> Collections { get; }

    /// <summary>How many documents have been written.</summary>
    public long Count { get; private set; }

    /// <summary>
    /// Writes the next documents to <paramref name="output"/>, whole lines, until about
    /// <paramref name="bytes"/> are written; false once every document has been written.
    /// </summary>
    public bool WriteNext(IBufferWriter<byte> output, int bytes)
    {
        ArgumentNullException.ThrowIfNull(output);
        var written = 0;
        while (written < bytes)
        {
            if (_cursor is null && !OpenNext())
            {
                return false;
            }

            if (!_cursor!.MoveNext())
            {
                _cursor.Dispose();
                _cursor = null;
                continue;
            }

            var stored = _cursor.Value;
            if (DocumentCodec.IsExpired(stored, _nowMs))
            {
                continue;
            }

            var json = DocumentCodec.Json(stored);
            var length = json.Length + 1 + (_withCollection ? _linePrefix.Length - 1 : 0);
            var line = output.GetSpan(length);
            if (_withCollection)
            {
                _linePrefix.CopyTo(line);
                json[1..].CopyTo(line[_linePrefix.Length..]);   // the document's own members after "{"
            }
            else
            {
                json.CopyTo(line);
            }

            line[length - 1] = (byte)'\n';
            output.Advance(length);
            written += length;
            Count++;
        }

        return true;
    }

    private bool OpenNext()
    {
        if (!_pending.TryDequeue(out var collection))
        {
            return false;
        }

        var prefix = Keyspace.Prefix(new KeyBuilder(), collection, Keyspace.DocumentsId).ToArray();
        _cursor = _snapshot.Cursor(prefix, Keyspace.End(prefix));
        if (_withCollection)
        {
            var buffer = new ArrayBufferWriter<byte>(64);
            using (var writer = new Utf8JsonWriter(buffer))
            {
                writer.WriteStartObject();
                writer.WriteString("_coll", collection);
                writer.Flush();
            }

            _linePrefix = [.. buffer.WrittenSpan, (byte)','];   // {"_coll":"c",
        }

        return true;
    }

    /// <summary>Releases the snapshot.</summary>
    public void Dispose()
    {
        _cursor?.Dispose();
        _snapshot.Dispose();
    }
}
