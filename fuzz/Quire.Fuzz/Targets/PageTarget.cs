namespace Quire.Fuzz.Targets;

/// <summary>Page images: bytes written over the data file (superblocks, tree and free-list pages), then the database opened and read.</summary>
internal sealed class PageTarget : IFuzzTarget
{
    public string Name => "page";

    public void Run(byte[] input) => StoredFiles.Run(input, file => !file.Contains("/wal/", StringComparison.Ordinal) && !file.EndsWith(".lock", StringComparison.Ordinal));
}
