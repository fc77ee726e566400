using System.Buffers;
using System.Text;
using Quire.Server.Replication;
using Quire.Storage.Log;
using Quire.Storage.Engine;
using Quire.Storage.Format;

namespace Quire.Fuzz.Targets;

/// <summary>
/// A replication stream as a replica reads it: frames, and each record's payload decoded into
/// the batch the replica would commit. Bad bytes are <see cref="InvalidDataException"/> (a cut
/// or garbled stream) or <see cref="CorruptDataException"/> (a malformed payload).
/// </summary>
internal sealed class ReplicationTarget : IFuzzTarget
{
    public string Name => "replication";

    public void Run(byte[] input)
    {
        using var stream = new MemoryStream(input, writable: false);
        try
        {
            while (ReplicationFrames.ReadAsync(stream, CancellationToken.None).GetAwaiter().GetResult() is { } frame)
            {
                if (frame.Kind == ReplicationFrames.Record)
                {
                    _ = WriteBatch.FromPayload(frame.Record.Payload.Span);
                }
            }
        }
        catch (Exception ex) when (ex is InvalidDataException or CorruptDataException)
        {
            // The replica drops the stream and reconnects.
        }
    }

    /// <summary>Writes seed inputs: streams of real frames (records of puts and deletes, heartbeats), as a primary sends them.</summary>
    public static void WriteSeeds(string directory)
    {
        Directory.CreateDirectory(directory);
        var records = new List<LogRecord>();
        for (var i = 0; i < 3; i++)
        {
            using var batch = new WriteBatch().Put(Encoding.UTF8.GetBytes($"key{i}"), Encoding.UTF8.GetBytes($"value {i}"));
            if (i == 2)
            {
                batch.Delete("key0"u8);
            }

            records.Add(new LogRecord(i * 2, batch.OpCount, batch.Payload.ToArray()));
        }

        var stream = new ArrayBufferWriter<byte>();
        ReplicationFrames.WriteHeartbeat(stream, 5, 1_765_000_000_000);
        ReplicationFrames.WriteRecords(stream, records.GetRange(0, 1));
        File.WriteAllBytes(Path.Combine(directory, "one-record"), stream.WrittenSpan.ToArray());
        ReplicationFrames.WriteRecords(stream, records.GetRange(1, 2));
        File.WriteAllBytes(Path.Combine(directory, "records-and-heartbeat"), stream.WrittenSpan.ToArray());
    }
}
