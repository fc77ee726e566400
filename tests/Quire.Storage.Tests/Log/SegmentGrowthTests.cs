using Quire.Storage.Engine;
using Quire.Storage.Log;
using Quire.TestSupport;
using static Quire.Storage.Tests.Keys;

namespace Quire.Storage.Tests.Log;

/// <summary>A new database's log starts with a small segment and doubles each next one up to the segment size.</summary>
public class SegmentGrowthTests
{
    private static StorageOptions Options(FaultyFileSystem fs, bool background = false) => EngineFixture.Options(fs) with
    {
        Log = new LogOptions { SegmentSize = 1 << 20, InitialSegmentSize = 64 * 1024, PrepareSpareInBackground = background },
    };

    private static List<(long FirstSeq, long Size)> Segments(FaultyFileSystem fs) =>
        [.. fs.ListFiles("/db/wal").Where(n => char.IsDigit(n[0])).Select(n =>
        {
            using var file = fs.Open(Path.Combine("/db/wal", n), create: false);
            return (long.Parse(Path.GetFileNameWithoutExtension(n), System.Globalization.CultureInfo.InvariantCulture), file.Length);
        }).OrderBy(s => s.Item1)];

    [Fact]
    public async Task Segments_double_from_the_initial_size_and_a_record_larger_than_the_next_gets_a_segment_that_holds_it()
    {
        var fs = new FaultyFileSystem();
        var random = new Random(1);
        using (var engine = StorageEngine.Open("/db", Options(fs)))
        {
            using var hold = engine.LogHolds.Take(0);   // keep every segment to look at
            Assert.Equal(64 * 1024, Assert.Single(Segments(fs)).Size);   // an empty database: one small segment
            for (var i = 0; i < 3000; i++)
            {
                await engine.CommitAsync(new WriteBatch().Put(B($"k{i % 500}"), new byte[random.Next(500, 1500)]));
            }

            await engine.CommitAsync(new WriteBatch().Put(B("big"), new byte[700_000]));   // past a 512 KiB next segment
            var sizes = Segments(fs).Select(s => s.Size).ToList();
            Assert.Equal([64 * 1024, 128 * 1024, 256 * 1024, 512 * 1024], sizes.Take(4));
            Assert.All(sizes.Skip(4), size => Assert.True(size >= 1 << 20 || size >= 700_000));
            Assert.True(sizes.Count >= 5);
        }

        using var reopened = StorageEngine.Open("/db", Options(fs));
        Assert.Equal(700_000, reopened.Get(B("big"))!.Length);
        Assert.Equal(3000, reopened.LastSeq);
    }

    [Fact]
    public async Task A_first_record_larger_than_the_first_segment_grows_it_in_place()
    {
        var fs = new FaultyFileSystem();
        using (var engine = StorageEngine.Open("/db", Options(fs)))
        {
            await engine.CommitAsync(new WriteBatch().Put(B("first"), new byte[200_000]));
            await engine.CommitAsync(new WriteBatch().Put(B("second"), B("x")));
            var only = Assert.Single(Segments(fs));
            Assert.Equal(0, only.FirstSeq);
            Assert.True(only.Size >= 200_000);
        }

        using var reopened = StorageEngine.Open("/db", Options(fs));
        Assert.Equal(200_000, reopened.Get(B("first"))!.Length);
        Assert.Equal(1, reopened.LastSeq);
    }

    [Fact]
    public void An_empty_database_holds_little_log()
    {
        var fs = new FaultyFileSystem();
        using var engine = StorageEngine.Open("/db", EngineFixture.Options(fs) with
        {
            Log = new LogOptions { SegmentSize = 64L << 20, PrepareSpareInBackground = false },
        });
        var bytes = fs.ListFiles("/db/wal").Sum(n =>
        {
            using var file = fs.Open(Path.Combine("/db/wal", n), create: false);
            return file.Length;
        });
        Assert.InRange(bytes, 1, 4L << 20);   // 1 MiB, not the 64 MiB of a full segment
    }
}
