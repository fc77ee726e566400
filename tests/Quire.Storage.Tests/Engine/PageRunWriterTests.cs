using Quire.Storage.Engine;
using Quire.Storage.Format;
using Quire.Storage.IO;
using Quire.TestSupport;

namespace Quire.Storage.Tests.Engine;

/// <summary>The checkpoint's page runs, written on a thread of their own: what is written, and what a failed write stops.</summary>
public class PageRunWriterTests
{
    private const int PageSize = 8192;
    private const int PagesPerRun = 1024 * 1024 / PageSize;
    private const string Directory = "/db";

    [Fact]
    public void Pages_land_at_their_addresses_whether_or_not_they_continue_a_run()
    {
        var fs = new FaultyFileSystem();
        using var file = CreateFile(fs);
        using var writer = new PageRunWriter(file, PageSize);
        long[] addresses = [10, 11, 12, 40, 41, .. Enumerable.Range(100, PagesPerRun + 3).Select(a => (long)a)];
        foreach (var address in addresses)
        {
            writer.Next(address).Fill((byte)address);
        }

        writer.Flush();
        foreach (var address in addresses)
        {
            Assert.Equal((byte)address, ReadByte(fs, address));
        }

        Assert.Equal(addresses.Length * (long)PageSize, file.BytesWritten);
    }

    [Fact]
    public void A_failed_run_is_thrown_nothing_after_it_is_written_and_a_discard_starts_clean()
    {
        var fs = new FaultyFileSystem();
        using var file = CreateFile(fs);
        using var writer = new PageRunWriter(file, PageSize);
        fs.AddRule(new FaultRule { Op = FaultOp.Write, PathContains = DataFile.Name, Skip = 1, Error = Faults.NoSpace });

        // Five full runs: the second fails, so the third, fourth and fifth must not be written.
        var error = Assert.ThrowsAny<IOException>(() =>
        {
            for (var address = 100L; address < 100 + (5 * PagesPerRun); address++)
            {
                writer.Next(address).Fill(1);
            }

            writer.Flush();
        });
        Assert.Equal(28, error.HResult);
        writer.Discard();
        Assert.Equal(1, ReadByte(fs, 100));
        Assert.Equal(0, ReadByte(fs, 100 + (2 * PagesPerRun)));
        Assert.Equal(0, ReadByte(fs, 100 + (4 * PagesPerRun)));

        // The next attempt writes as if nothing had happened.
        writer.Next(100 + (4 * PagesPerRun)).Fill(7);
        writer.Flush();
        Assert.Equal(7, ReadByte(fs, 100 + (4 * PagesPerRun)));
    }

    private static DataFile CreateFile(FaultyFileSystem fs)
    {
        fs.CreateDirectory(Directory);
        DataFile.Create(fs, Directory, new DatabaseIdentity(Guid.NewGuid(), 1, PageSize), encrypted: false);
        return DataFile.Open(fs, Directory);
    }

    /// <summary>The page's first byte; 0 where nothing was written.</summary>
    private static byte ReadByte(FaultyFileSystem fs, long address)
    {
        using var file = fs.Open(Path.Combine(Directory, DataFile.Name), create: false);
        var buffer = new byte[1];
        return address * PageSize < file.Length && file.ReadFully(address * PageSize, buffer) == 1 ? buffer[0] : (byte)0;
    }
}
