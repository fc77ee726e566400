using Quire.Storage.IO;

namespace Quire.Storage.Tests.IO;

/// <summary>The real file: a writeback hint on a range changes nothing of what is read back or synced.</summary>
public sealed class OsStorageFileTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "quire-osfile-" + Guid.NewGuid().ToString("N"));

    public OsStorageFileTests() => Directory.CreateDirectory(_directory);

    [Fact]
    public void Writeback_hints_leave_the_data_as_written()
    {
        var path = Path.Combine(_directory, "data");
        var data = new byte[3 * 1024 * 1024];
        new Random(1).NextBytes(data);
        using (var file = OsFileSystem.Instance.Open(path, create: true))
        {
            file.Write(0, data);
            file.StartWriteback(0, 1024 * 1024);
            file.StartWriteback(1024 * 1024, data.Length);   // past the end: a hint, not an error
            file.StartWriteback(-1, 10);                     // rejected by the OS: ignored
            file.SyncData();
        }

        Assert.Equal(data, File.ReadAllBytes(path));
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
