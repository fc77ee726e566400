namespace Quire.Storage.Engine;

/// <summary>
/// The log records readers still need: each hold keeps the log from its seq on (a
/// checkpoint recycles no segment a hold reaches into) until it moves on or is released.
/// A replica streaming the log holds where it has read to, so a checkpoint on the primary
/// does not take records from under it.
/// </summary>
public sealed class LogHolds
{
    private readonly Lock _gate = new();
    private readonly List<Hold> _holds = [];

    /// <summary>The lowest seq held, or <see cref="long.MaxValue"/> when nothing is held.</summary>
    public long Floor
    {
        get
        {
            lock (_gate)
            {
                return _holds.Count == 0 ? long.MaxValue : _holds.Min(h => h.Seq);
            }
        }
    }

    /// <summary>Keeps the log from <paramref name="seq"/> on until the hold moves or is disposed.</summary>
    public Hold Take(long seq)
    {
        var hold = new Hold(this, seq);
        lock (_gate)
        {
            _holds.Add(hold);
        }

        return hold;
    }

    private void Release(Hold hold)
    {
        lock (_gate)
        {
            _holds.Remove(hold);
        }
    }

    /// <summary>One reader's hold on the log.</summary>
    public sealed class Hold : IDisposable
    {
        private readonly LogHolds _owner;
        private long _seq;

        internal Hold(LogHolds owner, long seq)
        {
            _owner = owner;
            _seq = seq;
        }

        /// <summary>The first seq still needed.</summary>
        public long Seq => Volatile.Read(ref _seq);

        /// <summary>Keeps the log from <paramref name="seq"/> on instead (only forward).</summary>
        public void MoveTo(long seq)
        {
            if (seq > Seq)
            {
                Volatile.Write(ref _seq, seq);
            }
        }

        /// <summary>Releases the hold: the log need not keep anything for it.</summary>
        public void Dispose() => _owner.Release(this);
    }
}
