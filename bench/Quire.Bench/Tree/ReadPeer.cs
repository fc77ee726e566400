namespace Quire.Bench.Tree;

/// <summary>
/// A system in the tree suite's read cases: a database of keys 0..n-1 built once in
/// key order (not timed), then opened, read by point and by range, closed and opened
/// again. Each gets the same cache memory where it has the setting.
/// </summary>
public abstract class ReadPeer : IDisposable
{
    public abstract string Name { get; }

    /// <summary>Builds the database with <paramref name="count"/> keys and closes it.</summary>
    public abstract void Build(long count);

    /// <summary>Opens the built database.</summary>
    public abstract void Open();

    /// <summary>Closes it.</summary>
    public abstract void Close();

    /// <summary>Reads one key; true when found. Thread-safe while open.</summary>
    public abstract bool Get(byte[] key);

    /// <summary>Reads up to <paramref name="count"/> entries from <paramref name="from"/> on; returns how many. Thread-safe while open.</summary>
    public abstract int Range(byte[] from, int count);

    public virtual void Dispose() => Close();
}
