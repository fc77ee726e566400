using System.IO.Pipelines;
using Quire.Databases;
using Quire.Storage.Log;

namespace Quire.Server.Replication;

/// <summary>
/// Writes a database's log to a replica's stream: the durable records from a seq on, read
/// from where the last read stopped (<see cref="LogCursor"/>), then each new one as it
/// becomes durable, and a heartbeat with the primary's seq each second. Writing waits for
/// the replica to read (the pipe's flush), so a replica that stops reading holds the
/// sender back instead of making it buffer.
/// </summary>
internal static class LogStreamer
{
    private static readonly TimeSpan HeartbeatEvery = TimeSpan.FromSeconds(1);

    /// <summary>Flushes once this much is written, so a replica far behind gets records as they are read.</summary>
    private const int FlushBytes = 1 << 20;

    /// <summary>The most a frame of merged records carries (and so a replica's commit of them).</summary>
    private const int MergeBytes = 1 << 20;

    /// <summary>
    /// Streams until <paramref name="stop"/>, or until the replica's seq turns out not to be a
    /// record boundary of this log; <paramref name="sent"/> hears the last seq handed to the
    /// connection after each flush.
    /// </summary>
    public static async Task RunAsync(Database db, long next, PipeWriter writer, Action<long> sent, CancellationToken stop)
    {
        var cursor = new LogCursor(next);
        var lastBeat = DateTime.MinValue;
        while (!stop.IsCancellationRequested)
        {
            var any = false;
            if (db.Seq >= cursor.NextSeq)
            {
                // Records read together go as one frame (up to MergeBytes): a replica catching up
                // commits thousands of single-op records in a few commits.
                var merged = new List<LogRecord>();
                var mergedBytes = 0;
                foreach (var record in db.ReadLogRecords(cursor))
                {
                    if (record.LastSeq < next)
                    {
                        continue;
                    }

                    if (record.FirstSeq != next)
                    {
                        return;   // the replica's seq is inside a record of this log: it is not one this primary had
                    }

                    if (merged.Count > 0 && mergedBytes + record.Payload.Length > MergeBytes)
                    {
                        ReplicationFrames.WriteRecords(writer, merged);
                        (merged, mergedBytes) = ([], 0);
                        if (writer.UnflushedBytes >= FlushBytes)
                        {
                            await writer.FlushAsync(stop).ConfigureAwait(false);
                            sent(record.FirstSeq - 1);
                        }
                    }

                    merged.Add(record);
                    mergedBytes += record.Payload.Length;
                    next = record.LastSeq + 1;
                    any = true;
                }

                if (merged.Count > 0)
                {
                    ReplicationFrames.WriteRecords(writer, merged);
                }
            }

            if (any || DateTime.UtcNow - lastBeat >= HeartbeatEvery)
            {
                ReplicationFrames.WriteHeartbeat(writer, db.Seq, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
                await writer.FlushAsync(stop).ConfigureAwait(false);
                sent(next - 1);
                lastBeat = DateTime.UtcNow;
            }

            // Published is not always durable yet (batch durability): then look again shortly.
            await (db.Seq >= next ? Task.Delay(any ? 0 : 2, stop) : db.WhenChangedAsync(next - 1, stop)).ConfigureAwait(false);
        }
    }
}
