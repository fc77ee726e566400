namespace Quire.Bench.Log;

/// <summary>The group-commit reference loop as a system of the suite: puts only (the record stands in for key and value).</summary>
public sealed class GroupReferencePeer(string directory) : KeyValuePeer
{
    private readonly GroupReference _reference = new(directory);

    public override string Name => "groupref";

    public override bool Blocking => false;

    public override void Preload(long count)
    {
    }

    public override ValueTask PutAsync(int writer, byte[] key, byte[] value) => new(_reference.AppendAsync(value));

    public override ValueTask CommitBatchAsync(BatchData data) => throw new NotSupportedException();

    public override void Checkpoint()
    {
    }

    public override void Dispose() => _reference.Dispose();
}
