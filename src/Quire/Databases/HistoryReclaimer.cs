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

    private long? _lastAgeRunMs;

    /// <summary>Moves the floor and reclaims the past versions behind it, when due.</summary>
    public async Task ReclaimDueAsync(CancellationToken cancellationToken)
    {
        if (engine.HistoryFloor is not { } floor)
        {
            return;
        }

        var horizon = long.MinValue;
        var ops = options.HistoryRetention ?? (options.HistoryRetentionAge is null ? options.OpLogRetention : null);
        if (ops is { } retention && LastOpSeq() - retention is var opsHorizon && opsHorizon - floor >= Math.Max(1, retention / 8))
        {
            horizon = opsHorizon;
        }

        if (options.HistoryRetentionAge is { } age)
        {
            var nowMs = options.Clock.GetUtcNow().ToUnixTimeMilliseconds();
            if (_lastAgeRunMs is not { } lastRun || nowMs - lastRun >= Math.Max(1000, (long)age.TotalMilliseconds / 8))
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

    /// <summary>
    /// The seq of the last op a client wrote: retention counts those, not the engine's own
    /// commits (reclaiming takes seqs too, and must not keep moving the floor by itself).
    /// </summary>
    private long LastOpSeq()
    {
        using var snapshot = engine.OpenSnapshot();
        return OpLogReader.NewestSeq(snapshot) ?? -1;
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
