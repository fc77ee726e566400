using System.Diagnostics;
using Quire.Storage.Log;

namespace Quire.Storage.Engine;

/// <summary>
/// Group commit. Committers enqueue into a bounded queue and await; one writer thread
/// drains each burst, sequences it (checks preconditions, assigns seqs), applies it to
/// the state (invisible until published), writes it with one write and one fdatasync,
/// then publishes it and completes the waiters in seq order, through the
/// <see cref="Publisher"/> when commits wait behind. A small sync commit that finds
/// nothing queued and nothing in flight is led by its caller instead: the caller's
/// thread does the same steps for a group of one, so a lone writer pays no thread
/// hand-off on the way in nor on the way out. A failed write or fsync turns the engine
/// read-only: the failing group and everything queued fail with the cause, and nothing
/// unsynced is acknowledged.
/// </summary>
internal sealed partial class GroupCommitter : IDisposable
{
    // Above this many key writes or bytes a group's apply takes longer than waking the
    // publisher. Applying costs about a leaf copy per key written (8 KiB, from memory the
    // cache has lost): a few are cheaper than a thread hop, a few dozen are not (a 45-key
    // commit alone: 2,500 -> 3,800 commits/s once applied while the log syncs).
    private const int InlineApplyWrites = 16;
    private const long InlineApplyLimit = 64 * 1024;

    private readonly object _gate = new();
    private readonly WriteAheadLog _log;
    private readonly StorageOptions _options;
    private readonly EngineStats _stats;
    private readonly Thread _writer;
    private readonly Sequencer _sequencer;
    private readonly Publisher _publisher;
    private readonly TreeState _state;
    private readonly Func<long> _dirtyBytes;

    private List<PendingCommit> _queue = [];
    // Between groups: nothing to fail, and nothing is ever added to it.
    private static readonly List<PendingCommit> NoGroup = [];

    private List<PendingCommit> _group = NoGroup;
    private long _groupBytes;
    private int _groupWrites;
    private int _handedOver;  // _group[0.._handedOver) belong to the publisher now
    private long _queuedBytes;
    private TaskCompletionSource? _roomAvailable;
    private bool _writerWaiting;
    private bool _logHeld;  // a group (or the writer's timed sync) holds the log: the writer's, or a leading caller's
    private int _lastGroupCount;  // commits in the last group: one means a lone writer, as far as can be told
    private bool _stopping;
    private StorageFailedException? _failure;
    private long _lastSyncTicks = Stopwatch.GetTimestamp();

    public GroupCommitter(WriteAheadLog log, TreeState state, StorageOptions options, EngineStats stats)
    {
        _dirtyBytes = () => state.DirtyPages * (long)state.PageSize;
        _log = log;
        _options = options;
        _stats = stats;
        _state = state;
        _publisher = new Publisher(state, RefuseCommits, stats);
        _sequencer = new Sequencer(log, state, _publisher);
        _writer = new Thread(Run) { IsBackground = true, Name = "quire-log-writer" };
        _writer.Start();
    }

    /// <summary>The failure that turned the engine read-only, or null.</summary>
    public StorageFailedException? Failure => Volatile.Read(ref _failure);

    public int QueueDepth
    {
        get
        {
            lock (_gate)
            {
                return _queue.Count;
            }
        }
    }

    /// <summary>Enqueues a commit, or leads it on this thread when nothing else is in flight. Hot path: no allocation unless the queue is full.</summary>
    public ValueTask<CommitResult> CommitAsync(WriteBatch batch, Durability durability, CancellationToken cancellationToken)
    {
        var commit = PendingCommit.Rent(batch, durability);
        Task? wait;
        try
        {
            if (TryLead(commit))
            {
                Lead();
                return commit.Task;
            }

            wait = TryEnqueue(commit);
        }
        catch (Exception ex) when (ex is StorageFailedException or ObjectDisposedException)
        {
            // Failed as a task, like every other commit of a read-only engine.
            return ValueTask.FromException<CommitResult>(ex);
        }

        return wait is null ? commit.Task : WaitForRoomAsync(commit, wait, cancellationToken);
    }

    private async ValueTask<CommitResult> WaitForRoomAsync(PendingCommit commit, Task? wait, CancellationToken cancellationToken)
    {
        while (wait is not null)
        {
            await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
            wait = TryEnqueue(commit);
        }

        return await commit.Task.ConfigureAwait(false);
    }

    /// <summary>
    /// Ends a hold on the log (a group's, or the writer's timed sync). A waiting writer is
    /// woken to take what queued meanwhile, to stop, or to sync on time what a batch-mode
    /// group left unsynced (a rejected led commit writes nothing); on the writer's own
    /// thread the pulse finds no one waiting.
    /// </summary>
    private void ReleaseLog()
    {
        lock (_gate)
        {
            _logHeld = false;
            if (_queue.Count > 0 || _stopping || _log.DurableSeq < _log.WrittenSeq)
            {
                Monitor.Pulse(_gate);
            }
        }
    }

    /// <summary>Adds the commit to the queue, or returns a task that completes when there may be room.</summary>
    private Task? TryEnqueue(PendingCommit commit)
    {
        lock (_gate)
        {
            if (_failure is not null)
            {
                throw _failure;
            }

            ObjectDisposedException.ThrowIf(_stopping, typeof(StorageEngine));
            var size = commit.Batch.ByteSize;
            if (_queue.Count < _options.MaxQueuedCommits && (_queue.Count == 0 || _queuedBytes + size <= _options.MaxQueuedBytes))
            {
                _queue.Add(commit);
                _queuedBytes += size;
                if (_writerWaiting)
                {
                    Monitor.Pulse(_gate);
                }

                return null;
            }

            _stats.QueueFullWaits++;
            _roomAvailable ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _roomAvailable.Task;
        }
    }

    private void Run()
    {
        while (TakeGroup())
        {
            ProcessGroupAndHandOver();
            ReleaseLog();
        }

        try
        {
            if (_failure is null)
            {
                _log.Flush();
                _log.Sync();
            }
        }
        catch (Exception ex)
        {
            FailAll(ex);
        }
    }

    /// <summary>How often an idle writer looks for roots to reclaim while replaced nodes are kept.</summary>
    private const int IdleReclaimMilliseconds = 100;

    /// <summary>
    /// Waits for commits and moves a burst (capped by bytes) into <see cref="_group"/>.
    /// While idle with written but unsynced data (batch and async modes), syncs it when
    /// its interval is up. False when stopping with nothing left.
    /// </summary>
    private bool TakeGroup()
    {
        while (true)
        {
            lock (_gate)
            {
                if (_queue.Count > 0 && !_logHeld)
                {
                    MoveBurstToGroup();
                    _logHeld = true;
                    return true;
                }

                if (_stopping && !_logHeld)
                {
                    return false;
                }

                var timeout = Timeout.Infinite;
                if (!_logHeld && _log.DurableSeq < _log.WrittenSeq && _failure is null)
                {
                    var due = _options.BatchSyncInterval - Stopwatch.GetElapsedTime(_lastSyncTicks);
                    timeout = due <= TimeSpan.Zero ? 0 : Math.Max(1, (int)Math.Ceiling(due.TotalMilliseconds));
                }

                // Replaced nodes kept for a pinned root are freed when the root goes, which is
                // looked at on publishing; with no commits coming, an idle writer looks now and
                // then instead (a snapshot may be closed, or the publisher may add more, at any time).
                if (timeout == Timeout.Infinite)
                {
                    timeout = IdleReclaimMilliseconds;
                }

                if (timeout != 0)
                {
                    _writerWaiting = true;
                    var woken = Monitor.Wait(_gate, timeout);
                    _writerWaiting = false;
                    if (!woken && _queue.Count == 0 && !_logHeld && _state.RetainedPages > 0 && _publisher.IsIdle)
                    {
                        // Only the holder of a group hands work to the publisher, and none can start
                        // one while this thread holds the lock, so an idle publisher stays idle meanwhile.
                        _state.ReclaimIdle();
                    }

                    continue;
                }

                // Holding the log like a group does: no caller may lead a commit meanwhile.
                _logHeld = true;
            }

            // The interval is up: sync outside the lock, so committers can keep queueing.
            try
            {
                SyncLog();
            }
            catch (Exception ex)
            {
                FailAll(ex);
            }

            ReleaseLog();
        }
    }

    private void MoveBurstToGroup()
    {
        var take = 0;
        long bytes = 0;
        var writes = 0;
        while (take < _queue.Count && (take == 0 || bytes + _queue[take].Batch.ByteSize <= _options.MaxGroupBytes))
        {
            bytes += _queue[take].Batch.ByteSize;
            writes += _queue[take].Batch.WriteCount;
            take++;
        }

        if (take == _queue.Count)
        {
            (_group, _queue) = (_queue, _publisher.RentList());
        }
        else
        {
            _group = _publisher.RentList();
            _group.AddRange(_queue.GetRange(0, take));
            _queue.RemoveRange(0, take);
        }

        _queuedBytes -= bytes;
        _groupBytes = bytes;
        _groupWrites = writes;
        _roomAvailable?.TrySetResult();
        _roomAvailable = null;
    }

    /// <summary>Processes <see cref="_group"/>, then hands every commit of it over to be published, or failed.</summary>
    private void ProcessGroupAndHandOver()
    {
        try
        {
            ProcessGroup();
        }
        catch (Exception ex)
        {
            FailAll(ex);
        }
        finally
        {
            _publisher.Publish(_group, _handedOver, _group.Count, last: true, inline: true);
            _group = NoGroup;
            _handedOver = 0;
        }
    }

    private void ProcessGroup()
    {
        WaitWhileTooDirty();
        var group = _group;
        _lastGroupCount = group.Count;
        _sequencer.Sequence(group);
        _stats.RecordGroup(group.Count);

        // Apply before the write, so callers complete right after the fsync. When commits
        // wait behind this group, or it is large, the publisher does it while this thread
        // writes and syncs; else this thread does, saving a thread hop (on two cores,
        // waking another thread costs more than applying a few small commits). Each
        // publication range gets a root of its own, frozen when it is applied.
        var inline = QueueIsEmpty() && _groupWrites <= InlineApplyWrites && _groupBytes < InlineApplyLimit;
        var asyncEnd = RangeEnd(group, 0, Durability.Async);
        var batchEnd = RangeEnd(group, asyncEnd, Durability.Batch);
        _publisher.Apply(group, 0, asyncEnd, inline);
        _publisher.Apply(group, asyncEnd, batchEnd, inline);
        _publisher.Apply(group, batchEnd, group.Count, inline);

        // Publish in seq order, each commit as soon as its durability allows:
        // async ones before the write, batch ones after it, sync ones after the fsync.
        var published = Publish(group, 0, Durability.Async);
        _log.Flush();
        published = Publish(group, published, Durability.Batch);
        if (published < group.Count || Stopwatch.GetElapsedTime(_lastSyncTicks) >= _options.BatchSyncInterval)
        {
            SyncLog();
        }

        Publish(group, published, Durability.Sync);
    }

    /// <summary>
    /// Hands over, from <paramref name="from"/> on, the commits whose durability is
    /// <paramref name="weakest"/> or weaker (rejected ones go in their turn) to be
    /// published and completed in seq order.
    /// </summary>
    private int Publish(List<PendingCommit> group, int from, Durability weakest)
    {
        var to = RangeEnd(group, from, weakest);
        if (to > from)
        {
            // Publish here when no commit waits to be written; else let the publisher
            // do it while this thread writes and syncs the next group.
            _publisher.Publish(group, from, to, last: false, inline: QueueIsEmpty());
            _handedOver = to;
        }

        return to;
    }

    /// <summary>
    /// Backpressure: past <see cref="StorageOptions.MaxDirtyBytes"/> of dirty nodes, waits
    /// for a checkpoint to make them clean before applying more. Syncs the log first, as
    /// a checkpoint covers only what the log holds durably.
    /// </summary>
    private void WaitWhileTooDirty()
    {
        if (_dirtyBytes() <= _options.MaxDirtyBytes)
        {
            return;
        }

        _stats.DirtyWaits++;
        if (_log.DurableSeq < _log.WrittenSeq)
        {
            SyncLog();
        }

        while (_dirtyBytes() > _options.MaxDirtyBytes && Failure is null)
        {
            Thread.Sleep(1);
        }
    }

    /// <summary>
    /// The end of the publication range that starts at <paramref name="from"/>: the
    /// commits that may be published once durability <paramref name="weakest"/> is reached.
    /// </summary>
    private static int RangeEnd(List<PendingCommit> group, int from, Durability weakest)
    {
        var to = from;
        while (to < group.Count && (group[to].Rejection is not null || group[to].Durability >= weakest))
        {
            to++;
        }

        return to;
    }

    private bool QueueIsEmpty()
    {
        lock (_gate)
        {
            return _queue.Count == 0;
        }
    }

    private void SyncLog()
    {
        var started = Stopwatch.GetTimestamp();
        _log.Sync();
        _lastSyncTicks = Stopwatch.GetTimestamp();
        _stats.RecordSync(Stopwatch.GetElapsedTime(started, _lastSyncTicks));
    }

    /// <summary>Stops accepting commits, lets the writer finish what is queued, and waits for it.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_stopping)
            {
                return;
            }

            _stopping = true;
            Monitor.Pulse(_gate);

            // Committers waiting for room try again, and find the engine closed.
            _roomAvailable?.TrySetResult();
            _roomAvailable = null;
        }

        _writer.Join();
        _publisher.Dispose();
    }
}
