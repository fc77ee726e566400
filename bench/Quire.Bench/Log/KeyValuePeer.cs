namespace Quire.Bench.Log;

/// <summary>
/// A system in the log suite: durable single puts from concurrent writers, durable
/// batches, a preload, and a checkpoint that folds what was written into the main
/// structure (so deferred work is inside the clock).
/// </summary>
public abstract class KeyValuePeer : IDisposable
{
    public abstract string Name { get; }

    /// <summary>True when the API blocks: writers then run as threads, not tasks.</summary>
    public abstract bool Blocking { get; }

    /// <summary>Loads keys 0..count-1 in key order (not timed).</summary>
    public abstract void Preload(long count);

    /// <summary>One durable put (blocking systems).</summary>
    public virtual void Put(int writer, byte[] key, byte[] value) => throw new NotSupportedException();

    /// <summary>One durable put (async systems).</summary>
    public virtual ValueTask PutAsync(int writer, byte[] key, byte[] value) => throw new NotSupportedException();

    /// <summary>One durable commit of all the pairs.</summary>
    public abstract ValueTask CommitBatchAsync(BatchData data);

    /// <summary>Makes everything written part of the main structure (checkpoint, flush).</summary>
    public abstract void Checkpoint();

    /// <summary>
    /// Waits, outside every clock, until work the system runs on its own threads after a
    /// measurement (a compaction) is done, so that it does not run during the next
    /// system's window and get counted against that one.
    /// </summary>
    public virtual void WaitUntilQuiet()
    {
    }

    public abstract void Dispose();
}
