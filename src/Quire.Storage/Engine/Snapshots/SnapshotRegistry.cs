using System.Diagnostics;

namespace Quire.Storage.Engine;

/// <summary>
/// The open snapshots, oldest first, so that one kept too long, or keeping too many
/// replaced pages in memory, can be cancelled rather than pin memory forever.
/// </summary>
internal sealed class SnapshotRegistry(StorageOptions options, EngineStats stats)
{
    private readonly Lock _lock = new();
    private readonly LinkedList<Snapshot> _open = [];

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _open.Count;
            }
        }
    }

    /// <summary>Tracks a snapshot; the node returned is what <see cref="Remove"/> takes.</summary>
    public LinkedListNode<Snapshot> Add(Snapshot snapshot)
    {
        var node = new LinkedListNode<Snapshot>(snapshot);
        lock (_lock)
        {
            _open.AddLast(node);
        }

        return node;
    }

    /// <summary>Stops tracking a snapshot (in constant time; a no-op when <see cref="Enforce"/> already took it off).</summary>
    public void Remove(LinkedListNode<Snapshot> node)
    {
        lock (_lock)
        {
            if (node.List is not null)
            {
                _open.Remove(node);
            }
        }
    }

    /// <summary>Cancels snapshots past the age cap, and the oldest one while replaced pages kept in memory pass theirs.</summary>
    public void Enforce(long pinnedBytes)
    {
        List<(Snapshot Snapshot, string Because)> expire = [];
        lock (_lock)
        {
            while (_open.First is { } oldest)
            {
                var age = Stopwatch.GetElapsedTime(oldest.Value.OpenedTicks);
                string because;
                if (age > options.MaxSnapshotAge)
                {
                    because = $"it was open for {age.TotalSeconds:F0} s, longer than MaxSnapshotAge ({options.MaxSnapshotAge.TotalSeconds:F0} s)";
                }
                else if (pinnedBytes > options.MaxSnapshotPinnedBytes)
                {
                    because = $"open snapshots kept {pinnedBytes / (1024 * 1024)} MiB of replaced pages, more than MaxSnapshotPinnedBytes ({options.MaxSnapshotPinnedBytes / (1024 * 1024)} MiB)";
                    pinnedBytes = 0; // one at a time: its release is measured at the next look
                }
                else
                {
                    break;
                }

                _open.RemoveFirst();
                expire.Add((oldest.Value, because));
            }
        }

        foreach (var (snapshot, because) in expire)
        {
            snapshot.Expire(because);
            stats.SnapshotsExpired++;
        }
    }
}
