namespace Quire.Storage.Engine;

/// <summary>Commits led by their callers: a lone small sync commit is processed on the caller's thread.</summary>
internal sealed partial class GroupCommitter
{
    /// <summary>
    /// Makes the commit a group of its own for the caller to lead, when that can neither
    /// delay nor reorder anything and the commit can usually complete on the caller's
    /// thread: a sync commit (async and batch ones rely on the writer's timed syncs) small
    /// enough to apply inline, no queue, the log not held, a last group of one commit
    /// (with several writers, a commit led alone would take the log from those about to
    /// join it, and their group would wait for its fsync), an idle publisher, no
    /// dirty-bytes wait due. (A large group is applied by the publisher while the log
    /// syncs; a caller waiting on it in fdatasync measured slower than the writer thread:
    /// see docs/benchmarks.md.) If commits queue during its fsync, or it fails, it is
    /// completed by the publisher instead, as any other.
    /// </summary>
    private bool TryLead(PendingCommit commit)
    {
        if (commit.Durability != Durability.Sync || commit.Batch.WriteCount > InlineApplyWrites || commit.Batch.ByteSize >= InlineApplyLimit)
        {
            return false;
        }

        lock (_gate)
        {
            if (_failure is not null || _stopping || _logHeld || _queue.Count > 0 || _lastGroupCount > 1 || !_publisher.IsIdle || _dirtyBytes() > _options.MaxDirtyBytes)
            {
                return false;
            }

            _logHeld = true;
            _group = _publisher.RentList();
            _group.Add(commit);
            _groupBytes = commit.Batch.ByteSize;
            _groupWrites = commit.Batch.WriteCount;
            return true;
        }
    }

    /// <summary>Processes the group <see cref="TryLead"/> formed, on the caller's thread, then lets the writer take what queued meanwhile.</summary>
    private void Lead()
    {
        try
        {
            ProcessGroupAndHandOver();
        }
        finally
        {
            ReleaseLog();
        }
    }
}
