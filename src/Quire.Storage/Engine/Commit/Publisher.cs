namespace Quire.Storage.Engine;

/// <summary>
/// Applies sequenced commits to the state, publishes them and completes their callers,
/// in the order the holder of the group in flight (the log writer, or a caller leading
/// its own small commit) hands the work over. When commits wait behind a group, or it
/// is large, the work runs on this class's thread while the holder writes and fsyncs
/// the group (readers do not see it until it is published), so the group costs about
/// max(fsync, apply) instead of their sum. Otherwise the holder does the same work
/// inline, which only happens when nothing is queued here, so the order holds.
/// Applying may read pages from disk (evicted nodes), so it may fail: then no later
/// range is published, their commits fail, and the engine is told to refuse commits.
/// </summary>
internal sealed class Publisher : IDisposable
{
    private readonly object _gate = new();
    private readonly Queue<WorkItem> _work = new();
    private readonly Stack<List<PendingCommit>> _lists = new();
    private readonly TreeState _state;
    private readonly EngineStats _stats;
    private readonly Action<Exception> _onApplyFailure;
    private readonly Thread _thread;
    private StorageFailedException? _failure;
    private int _unfinished;
    private bool _stopping;

    public Publisher(TreeState state, Action<Exception> onApplyFailure, EngineStats stats)
    {
        _stats = stats;
        _state = state;
        _onApplyFailure = onApplyFailure;
        _thread = new Thread(Run) { IsBackground = true, Name = "quire-publisher" };
        _thread.Start();
    }

    /// <summary>True when nothing handed over is still being applied or published.</summary>
    public bool IsIdle => Volatile.Read(ref _unfinished) == 0;

    /// <summary>An empty list for a new group; it comes back once the group's last range is published.</summary>
    public List<PendingCommit> RentList()
    {
        lock (_gate)
        {
            return _lists.TryPop(out var list) ? list : [];
        }
    }

    /// <summary>
    /// Applies commits [from, to) of a group to the state, not yet visible to readers;
    /// the matching <see cref="Publish"/> takes the same range.
    /// With <paramref name="inline"/>, and nothing queued here, the caller does it itself.
    /// </summary>
    public void Apply(List<PendingCommit> group, int from, int to, bool inline)
    {
        if (to == from)
        {
            return;
        }

        if (inline && Volatile.Read(ref _unfinished) == 0)
        {
            _state.Apply(group, from, to);
            return;
        }

        Enqueue(new WorkItem(group, from, to, Kind.Apply));
    }

    /// <summary>
    /// Publishes commits [from, to) of a group and completes them (rejected ones with
    /// their error). <paramref name="last"/> hands the list back for reuse afterwards.
    /// With <paramref name="inline"/>, and nothing still queued here, the caller does it
    /// itself: no thread hop when nobody waits behind (one writer, say).
    /// </summary>
    public void Publish(List<PendingCommit> group, int from, int to, bool last, bool inline)
    {
        // Only the holder of the group in flight (the log writer or a leading caller) calls
        // this, so an idle publisher stays idle until it returns.
        if (inline && Volatile.Read(ref _unfinished) == 0)
        {
            PublishRange(group, from, to);
            if (last)
            {
                Recycle(group);
            }

            return;
        }

        Enqueue(new WorkItem(group, from, to, last ? Kind.PublishLast : Kind.Publish));
    }

    /// <summary>
    /// Fails commits [from, to) of a group with <paramref name="error"/>, after any work
    /// already handed over for them (their apply may still be running on this thread).
    /// </summary>
    public void Fail(List<PendingCommit> group, int from, int to, Exception error)
    {
        if (to > from)
        {
            Enqueue(new WorkItem(group, from, to, Kind.Fail, error));
        }
    }

    private void Enqueue(WorkItem item)
    {
        lock (_gate)
        {
            _work.Enqueue(item);
            _unfinished++;
            if (_work.Count == 1)
            {
                Monitor.PulseAll(_gate);
            }
        }
    }

    /// <summary>Waits until everything handed over is visible (a precondition must see the latest state).</summary>
    public void WaitUntilIdle()
    {
        lock (_gate)
        {
            while (_unfinished > 0)
            {
                Monitor.Wait(_gate);
            }
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _stopping = true;
            Monitor.PulseAll(_gate);
        }

        _thread.Join();
    }

    private void Run()
    {
        while (true)
        {
            WorkItem item;
            lock (_gate)
            {
                while (_work.Count == 0)
                {
                    if (_stopping)
                    {
                        return;
                    }

                    Monitor.Wait(_gate);
                }

                item = _work.Dequeue();
            }

            if (item.Kind == Kind.Apply)
            {
                if (Volatile.Read(ref _failure) is null)
                {
                    try
                    {
                        _state.Apply(item.Group, item.From, item.To);
                    }
                    catch (Exception ex)
                    {
                        var failure = ex as StorageFailedException ?? new StorageFailedException(ex);
                        Volatile.Write(ref _failure, failure);
                        _onApplyFailure(failure);
                    }
                }
            }
            else if (item.Kind == Kind.Fail)
            {
                for (var i = item.From; i < item.To; i++)
                {
                    item.Group[i].Fail(item.Error!);
                }
            }
            else
            {
                PublishRange(item.Group, item.From, item.To);
                if (item.Kind == Kind.PublishLast)
                {
                    Recycle(item.Group);
                }
            }

            lock (_gate)
            {
                if (--_unfinished == 0)
                {
                    Monitor.PulseAll(_gate);
                }
            }
        }
    }

    private void PublishRange(List<PendingCommit> group, int from, int to)
    {
        if (to == from)
        {
            return;
        }

        if (Volatile.Read(ref _failure) is { } failure)
        {
            // The range was never applied whole: it must not be acknowledged.
            for (var i = from; i < to; i++)
            {
                group[i].Fail(failure);
            }

            return;
        }

        _state.Publish();
        for (var i = from; i < to; i++)
        {
            _stats.RecordCommit(group[i].Started);
            group[i].Complete();
        }
    }

    private void Recycle(List<PendingCommit> group)
    {
        group.Clear();
        lock (_gate)
        {
            _lists.Push(group);
        }
    }

    private enum Kind
    {
        Apply,
        Publish,
        PublishLast,
        Fail,
    }

    private readonly record struct WorkItem(List<PendingCommit> Group, int From, int To, Kind Kind, Exception? Error = null);
}
