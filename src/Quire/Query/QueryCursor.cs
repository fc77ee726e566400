using Quire.Storage.Engine;

namespace Quire.Query;

/// <summary>
/// A query being answered (<see cref="Databases.Database.OpenQuery"/>): the seq and chain head
/// of the snapshot it reads, and its rows as they are produced, so a caller can send them on
/// without holding them all. The snapshot is held until the cursor is disposed.
/// </summary>
public sealed class QueryCursor : IDisposable
{
    private readonly Snapshot _snapshot;
    private readonly IEnumerable<byte[]> _rows;
    private readonly Func<long> _examined;
    private bool _read;

    internal QueryCursor(Snapshot snapshot, string head, IEnumerable<byte[]> rows, Func<long> examined)
    {
        _snapshot = snapshot;
        Head = head;
        _rows = rows;
        _examined = examined;
    }

    /// <summary>The seq of the snapshot read.</summary>
    public long Seq => _snapshot.Seq;

    /// <summary>The hash chain's head at <see cref="Seq"/>, lower-case hex.</summary>
    public string Head { get; }

    /// <summary>How many documents have been read so far to answer it.</summary>
    public long Examined => _examined();

    /// <summary>
    /// The rows (UTF-8 JSON each: documents with <c>_id</c> and <c>_seq</c>, or GROUP BY rows),
    /// produced as they are enumerated; they can be enumerated once. The token given to
    /// <see cref="Databases.Database.OpenQuery"/> stops the reading with an
    /// <see cref="OperationCanceledException"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">They were enumerated before.</exception>
    public IEnumerable<byte[]> Rows
    {
        get
        {
            if (_read)
            {
                throw new InvalidOperationException("a query's rows can be read once");
            }

            _read = true;
            return _rows;
        }
    }

    /// <summary>Lets go of the snapshot.</summary>
    public void Dispose() => _snapshot.Dispose();
}
