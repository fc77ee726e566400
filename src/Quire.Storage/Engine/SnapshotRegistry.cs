using System.Diagnostics;

namespace Quire.Storage.Engine;

/// <summary>
/// The open snapshots, oldest first, so that one kept too long, or keeping too many
/// replaced pages in memory, can be cancelled rather than pin memory forever.
/// </summary>
internal sealed class SnapshotRegistry(StorageOptions options, EngineStats stats)
{
    private readonly LinkedList<Snapshot> _open = [];

    public int Count
    {
        get
        {
            lock (_open)
            {
                return _open.Count;
            }
        }
    }

    public void Add(Snapshot snapshot)
    {
        lock (_open)
        {
            _open.AddLast(snapshot);
        }
    }

    public void Remove(Snapshot snapshot)
    {
        lock (_open)
        {
            _open.Remove(snapshot);
        }
    }

    /// <summary>Cancels snapshots past the age cap, and the oldest one while replaced pages kept in memory pass theirs.</summary>
    public void Enforce(long pinnedBytes)
    {
        List<(Snapshot Snapshot, string Because)> expire = [];
        lock (_open)
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
