using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.Tasks.Sources;

namespace Quire.Storage.Engine;

/// <summary>
/// A commit waiting in the queue, and the awaitable its caller holds. Pooled, so a
/// commit allocates nothing on the hot path. Continuations always run asynchronously,
/// never inline on the log writer's thread.
/// </summary>
internal sealed class PendingCommit : IValueTaskSource<CommitResult>
{
    private static readonly ConcurrentQueue<PendingCommit> Pool = new();
    private ManualResetValueTaskSourceCore<CommitResult> _core = new() { RunContinuationsAsynchronously = true };

    public WriteBatch Batch { get; private set; } = null!;

    public Durability Durability { get; private set; }

    /// <summary>When the commit was called (<see cref="Stopwatch.GetTimestamp"/>), while its latency is measured; else 0.</summary>
    public long Started { get; private set; }

    /// <summary>The seq of the first op once sequenced; -1 before, or when rejected.</summary>
    public long FirstSeq { get; set; } = -1;

    /// <summary>Why the sequencer rejected the commit (a failed precondition), or null.</summary>
    public Exception? Rejection { get; set; }

    public ValueTask<CommitResult> Task => new(this, _core.Version);

    public static PendingCommit Rent(WriteBatch batch, Durability durability)
    {
        if (!Pool.TryDequeue(out var commit))
        {
            commit = new PendingCommit();
        }

        commit.Batch = batch;
        commit.Durability = durability;
        commit.Started = EngineMeter.CommitDuration.Enabled ? Stopwatch.GetTimestamp() : 0;
        commit.FirstSeq = -1;
        commit.Rejection = null;
        return commit;
    }

    // Once completed, the caller may return this object to the pool and reuse it at any
    // moment: the writer must not touch a commit after completing it.
    public void Complete()
    {
        if (Rejection is not null)
        {
            _core.SetException(Rejection);
        }
        else
        {
            _core.SetResult(new CommitResult(FirstSeq, FirstSeq + Batch.OpCount - 1));
        }
    }

    public void Fail(Exception error) => _core.SetException(error);

    public CommitResult GetResult(short token)
    {
        try
        {
            return _core.GetResult(token);
        }
        finally
        {
            _core.Reset();
            Batch = null!;
            Pool.Enqueue(this);
        }
    }

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
