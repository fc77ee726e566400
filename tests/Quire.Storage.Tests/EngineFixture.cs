using Quire.Storage.Engine;
using Quire.Storage.Log;
using Quire.TestSupport;

namespace Quire.Storage.Tests;

/// <summary>Opens engines over a fault-injecting file system with small segments.</summary>
internal static class EngineFixture
{
    public const string Directory = "/db";

    public static StorageOptions Options(FaultyFileSystem fs, Durability durability = Durability.Sync, long segmentSize = 64 * 1024) => new()
    {
        FileSystem = fs,
        Durability = durability,
        Log = new LogOptions { SegmentSize = segmentSize, PrepareSpareInBackground = false },
    };

    public static StorageEngine Open(FaultyFileSystem fs, Durability durability = Durability.Sync, long segmentSize = 64 * 1024) =>
        StorageEngine.Open(Directory, Options(fs, durability, segmentSize));
}
