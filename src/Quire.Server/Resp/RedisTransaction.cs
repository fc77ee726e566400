using Quire.Databases;
using Quire.Documents;

namespace Quire.Server.Resp;

/// <summary>
/// One attempt at a command, or at the commands of a MULTI, over the documents: reads see the
/// database as published plus this attempt's own writes, and every document read is
/// remembered with its version. <see cref="Ops"/> is what to commit: the writes, each on
/// condition that its document is still the version read, and a check op for every document
/// read and not written. If another client changed any of them first, the commit is refused
/// and the attempt is run again (<see cref="RedisStore.RunAsync"/>), so a command is atomic
/// over everything it read, point reads and scans alike. What a scan cannot pin is a document
/// added after it (a field added to a hash between the scan and the commit).
/// </summary>
internal sealed class RedisTransaction(Database db, TimeProvider clock)
{
    private readonly Dictionary<(string Collection, string Id), long> _reads = [];
    private readonly Dictionary<(string Collection, string Id), DocumentOp> _writes = [];
    private readonly List<(string Collection, string Id)> _written = [];
    private readonly HashSet<string> _touched = new(StringComparer.Ordinal);

    public Database Db => db;

    public TimeProvider Clock => clock;

    /// <summary>Whether anything was written.</summary>
    public bool HasWrites => _written.Count > 0;

    /// <summary>The document, as this attempt sees it (its own writes first).</summary>
    public Document? Get(string collection, string id)
    {
        if (_writes.TryGetValue((collection, id), out var op))
        {
            return Overlay(op);
        }

        var doc = db.Get(collection, id);
        _reads.TryAdd((collection, id), doc?.Seq ?? -1);
        return doc;
    }

    /// <summary>
    /// The documents of <paramref name="collection"/> in id order (descending with
    /// <paramref name="reverse"/>), as this attempt sees them; lazily, when it wrote none of them.
    /// </summary>
    public IEnumerable<Document> Scan(string collection, bool reverse = false)
    {
        if (!_touched.Contains(collection))
        {
            return Pinned(db.Scan(collection, reverse: reverse));
        }

        var merged = new SortedDictionary<string, Document?>(StringComparer.Ordinal);
        foreach (var doc in Pinned(db.Scan(collection)))
        {
            merged[doc.Id] = doc;
        }

        foreach (var ((coll, id), op) in _writes)
        {
            if (coll == collection)
            {
                merged[id] = Overlay(op);
            }
        }

        var docs = merged.Values.OfType<Document>();
        return reverse ? docs.Reverse() : docs;
    }

    /// <summary>True when <paramref name="collection"/> holds a document, as this attempt sees it.</summary>
    public bool Any(string collection) => Scan(collection).Any();

    /// <summary>Writes (puts or deletes) a document; later reads of this attempt see it.</summary>
    public void Write(DocumentOp op)
    {
        var at = (op.Collection, op.Id);
        if (!_writes.ContainsKey(at))
        {
            _written.Add(at);
        }

        _writes[at] = op;
        _touched.Add(op.Collection);
    }

    /// <summary>
    /// Writes a document this attempt believes free: unless it read or wrote the document
    /// already (then that read pins it), the commit requires the document to be absent, as
    /// another client may have taken it meanwhile.
    /// </summary>
    public void Create(DocumentOp put)
    {
        var at = (put.Collection, put.Id);
        Write(_reads.ContainsKey(at) || _writes.ContainsKey(at) ? put : put with { IfSeq = -1 });
    }

    /// <summary>Deletes a document.</summary>
    public void Delete(string collection, string id) => Write(DocumentOp.Delete(collection, id));

    /// <summary>Writes each of <paramref name="ops"/>.</summary>
    public void Write(IEnumerable<DocumentOp> ops)
    {
        foreach (var op in ops)
        {
            Write(op);
        }
    }

    /// <summary>Holds the commit to <paramref name="collection"/>/<paramref name="id"/> being at <paramref name="version"/> (WATCH).</summary>
    public void Pin(string collection, string id, long version) => _reads[(collection, id)] = version;

    /// <summary>
    /// What to commit: the writes in the order first made (a delete of a document this
    /// attempt never saw is dropped when the database does not have it either), each
    /// conditional on the version read (unless the write names its own), then a check for
    /// each document read and not written.
    /// </summary>
    public List<DocumentOp> Ops()
    {
        var ops = new List<DocumentOp>(_written.Count + _reads.Count);
        foreach (var at in _written)
        {
            var op = _writes[at];
            var read = _reads.TryGetValue(at, out var version) ? version : (long?)null;
            if (op.Kind == OpKind.Delete && read == -1)
            {
                ops.Add(DocumentOp.Check(at.Collection, at.Id, -1));   // deleting what is not there: keep it absent
                continue;
            }

            ops.Add(op.IfSeq is null && read is { } seq ? op with { IfSeq = seq } : op);   // a condition of the command's own stands
        }

        foreach (var (at, version) in _reads)
        {
            if (!_writes.ContainsKey(at))
            {
                ops.Add(DocumentOp.Check(at.Collection, at.Id, version));
            }
        }

        return ops;
    }

    private IEnumerable<Document> Pinned(IEnumerable<Document> docs)
    {
        foreach (var doc in docs)
        {
            _reads.TryAdd((doc.Collection, doc.Id), doc.Seq);
            yield return doc;
        }
    }

    private static Document? Overlay(DocumentOp op) =>
        op.Kind == OpKind.Put ? new Document(op.Collection, op.Id, -1, System.Text.Encoding.UTF8.GetBytes(op.Document.GetRawText())) : null;
}
