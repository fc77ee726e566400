using Quire.Keys;
using Quire.OpLog;
using Quire.Storage.Engine;

namespace Quire.Databases;

/// <summary>
/// Keeps the history <c>AS OF</c> reads to its retention: moves the engine's history floor
/// to the oldest seq the retention still covers and lets the engine erase the past versions
/// nothing from there on needs (<see cref="StorageEngine.ReclaimHistoryAsync"/>). Reclaiming
/// scans the past versions, so it waits until the floor can move by an eighth of the
/// retention (or, by age, an eighth of it has passed): each past version is looked at about
/// eight times in its life.
/// </summary>
internal sealed class HistoryReclaimer(StorageEngine engine, DatabaseOptions options)
{
    // Op records looked at per run to find where the age limit falls.
    private const int AgeScanRecords = 100_000;

    private long _lastAgeRunMs = long.MinValue;

    /// <summary>Reclaims when due; returns how many past versions went.</summary>
    public async Task ReclaimDueAsync(CancellationToken cancellationToken)
    {
        if (engine.HistoryFloor is not { } floor)
        {
            return;
        }

        var horizon = long.MinValue;
        var ops = options.HistoryRetention ?? (options.HistoryRetentionAge is null ? options.OpLogRetention : null);
        if (ops is { } retention && engine.LastSeq - retention - floor >= Math.Max(1, retention / 8))
        {
            horizon = engine.LastSeq - retention;
        }

        if (options.HistoryRetentionAge is { } age)
        {
            var nowMs = options.Clock.GetUtcNow().ToUnixTimeMilliseconds();
            if (nowMs - _lastAgeRunMs >= Math.Max(1000, (long)age.TotalMilliseconds / 8))
            {
                _lastAgeRunMs = nowMs;
                horizon = Math.Max(horizon, LastOpBefore(nowMs - (long)age.TotalMilliseconds, floor));
            }
        }

        if (horizon > floor)
        {
            await engine.ReclaimHistoryAsync(horizon, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The seq of the newest op written before <paramref name="cutoffMs"/> (looking at a bounded number of op records after the floor), or the floor.</summary>
    private long LastOpBefore(long cutoffMs, long floor)
    {
        using var snapshot = engine.OpenSnapshot();
        var found = floor;
        var key = new KeyBuilder();
        var from = key.Byte(Keyspace.OpLog).Int64(Math.Max(0, floor + 1)).ToArray();
        var looked = 0;
        foreach (var entry in snapshot.Scan(from, Keyspace.End(Keyspace.OpLogPrefix)))
        {
            var record = OpLogReader.Parse(entry);
            if (record.Ts >= cutoffMs || ++looked > AgeScanRecords)
            {
                break;
            }

            found = record.Seq;
        }

        return found;
    }
}
