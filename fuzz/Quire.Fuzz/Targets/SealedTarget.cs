namespace Quire.Fuzz.Targets;

/// <summary>
/// An encrypted database's files: bytes written over its key file, its sealed pages or its
/// sealed log records (the first input byte picks the file), then the database opened and
/// read. A changed byte must be refused (corruption, a wrong key), never read as data.
/// </summary>
internal sealed class SealedTarget : IFuzzTarget
{
    public string Name => "sealed";

    public void Run(byte[] input) => StoredFiles.Run(input, files => files.Count == 0 ? null : files[input[0] % files.Count], encrypted: true);
}
