namespace Quire.Storage.Engine;

/// <summary>Failure: a failed write or fsync, or a failed checkpoint, turns the engine read-only and fails what waits.</summary>
internal sealed partial class GroupCommitter
{
    /// <summary>
    /// Turns the engine read-only from outside the write path (a failed checkpoint):
    /// queued commits fail, later ones are refused; the group being written, whose log
    /// write is sound, completes as it would.
    /// </summary>
    public void RefuseCommits(Exception cause)
    {
        lock (_gate)
        {
            FailQueuedLocked(cause as StorageFailedException ?? new StorageFailedException(cause));
        }
    }

    private void FailAll(Exception cause)
    {
        lock (_gate)
        {
            FailAllLocked(cause as StorageFailedException ?? new StorageFailedException(cause));
        }
    }

    private void FailAllLocked(StorageFailedException failure)
    {
        RecordFailureLocked(failure);

        // The group's commits may still be in the publisher's hands: it fails them, in turn.
        _publisher.Fail(_group, _handedOver, _group.Count, _failure);
        _handedOver = _group.Count;
        FailQueuedLocked(_failure);
    }

    /// <summary>Makes the engine read-only (keeping the first failure) and fails every commit still queued.</summary>
    private void FailQueuedLocked(StorageFailedException failure)
    {
        RecordFailureLocked(failure);
        foreach (var commit in _queue)
        {
            commit.Fail(_failure);
        }

        _queue.Clear();
        _queuedBytes = 0;
        _roomAvailable?.TrySetResult();
        _roomAvailable = null;
    }

    /// <summary>Keeps the first failure, and tells <see cref="StorageOptions.OnFailed"/> of it (off this thread, which holds the lock).</summary>
    [System.Diagnostics.CodeAnalysis.MemberNotNull(nameof(_failure))]
    private void RecordFailureLocked(StorageFailedException failure)
    {
        if (_failure is not null)
        {
            return;
        }

        _failure = failure;
        if (_options.OnFailed is { } onFailed)
        {
            ThreadPool.QueueUserWorkItem(first => onFailed(first), failure, preferLocal: false);
        }
    }
}
