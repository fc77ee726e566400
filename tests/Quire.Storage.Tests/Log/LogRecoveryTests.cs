using Quire.Storage.Engine;
using Quire.Storage.Format;
using Quire.Storage.Log;
using Quire.TestSupport;
using static Quire.Storage.Tests.Keys;

namespace Quire.Storage.Tests.Log;

/// <summary>How recovery tells a torn tail (cut it) from corruption (refuse), record by record.</summary>
public class LogRecoveryTests
{
    private static readonly DatabaseIdentity Identity = new(Guid.NewGuid(), 42, 8192);
    private static readonly LogOptions Options = new() { SegmentSize = 64 * 1024, PrepareSpareInBackground = false };
    private static readonly string Segment0 = "/db/wal/" + SegmentNames.Segment(0);

    [Fact]
    public void A_damaged_record_followed_only_by_records_of_its_unsynced_burst_is_a_torn_tail()
    {
        var fs = NewFileSystem();
        using (var log = WriteAheadLog.Create(fs, "/db", Identity, Options))
        {
            Append(log, "a");
            log.Flush();
            log.Sync();

            // One burst of three records, never synced; then its middle sector is lost.
            Append(log, "b");
            Append(log, "c");
            Append(log, "d");
            log.Flush();
        }

        var second = FileHeader.Size + RecordSize("a");
        fs.Poke(Segment0, second + 40, new byte[8]); // inside b's payload

        using var reopened = WriteAheadLog.Open(fs, "/db", Identity, Options, 0, null, out var report);
        Assert.Equal(1, report.NextSeq);
        Assert.NotNull(report.TornTail);
        Assert.Equal(second, report.TornTail.Offset);
        Assert.Equal(2, report.TornTail.RecordsDropped);
        Assert.Equal([0L], reopened.ReadFrom(0).Select(r => r.FirstSeq));
    }

    [Fact]
    public void A_damaged_record_followed_by_one_written_after_it_was_durable_refuses_the_open_and_says_where()
    {
        var fs = NewFileSystem();
        using (var log = WriteAheadLog.Create(fs, "/db", Identity, Options))
        {
            foreach (var value in new[] { "a", "b", "c" })
            {
                Append(log, value);
                log.Flush();
                log.Sync();
            }
        }

        var second = FileHeader.Size + RecordSize("a");
        fs.Poke(Segment0, second + 40, new byte[8]);

        var error = Assert.Throws<CorruptDataException>(() => WriteAheadLog.Open(fs, "/db", Identity, Options, 0, null, out _));
        Assert.Equal(Segment0, error.Path);
        Assert.Equal(second, error.Offset);
        Assert.Contains("seq 1", error.Message);
    }

    [Fact]
    public void A_segment_whose_header_was_never_completed_is_removed_and_reported()
    {
        var fs = NewFileSystem();
        using (var log = WriteAheadLog.Create(fs, "/db", Identity, Options))
        {
            Append(log, "a");
            log.Flush();
            log.Sync();
        }

        // A crash while starting the next segment: renamed into place, header not yet written.
        var next = "/db/wal/" + SegmentNames.Segment(1);
        using (var file = fs.Open(next, create: true))
        {
            file.Write(0, new byte[FileHeader.Size]);
        }

        using var reopened = WriteAheadLog.Open(fs, "/db", Identity, Options, 0, null, out var report);
        Assert.Equal([next], report.RemovedSegments);
        Assert.False(fs.FileExists(next));
        Assert.Equal(1, report.NextSeq);
    }

    [Fact]
    public void A_segment_of_another_database_is_refused()
    {
        var fs = NewFileSystem();
        WriteAheadLog.Create(fs, "/db", Identity, Options).Dispose();

        var other = Identity with { DatabaseId = Guid.NewGuid() };
        var error = Assert.Throws<IncompatibleFormatException>(() => WriteAheadLog.Open(fs, "/db", other, Options, 0, null, out _));
        Assert.Contains("belongs to database", error.Message);
    }

    private static FaultyFileSystem NewFileSystem()
    {
        var fs = new FaultyFileSystem();
        fs.CreateDirectory("/db");
        return fs;
    }

    private static void Append(WriteAheadLog log, string value)
    {
        using var batch = new WriteBatch().Put(B("key-" + value), B(new string(value[0], 100)));
        log.Append(batch.OpCount, batch.Payload);
    }

    private static int RecordSize(string value)
    {
        using var batch = new WriteBatch().Put(B("key-" + value), B(new string(value[0], 100)));
        return RecordFrame.FramedSize(batch.Payload.Length);
    }
}
