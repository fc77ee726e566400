namespace Quire.Fuzz.Targets;

/// <summary>Log records and recovery: bytes written over the first log segment, then the database opened and read.</summary>
internal sealed class LogTarget : IFuzzTarget
{
    public string Name => "log";

    public void Run(byte[] input) => StoredFiles.Run(input, file => file.Contains("/wal/", StringComparison.Ordinal));
}
