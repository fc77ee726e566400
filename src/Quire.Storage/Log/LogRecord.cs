namespace Quire.Storage.Log;

/// <summary>One committed batch as the log holds it: its first seq, its op count and its payload.</summary>
/// <param name="FirstSeq">The seq of the batch's first op; its ops take FirstSeq..FirstSeq+OpCount-1.</param>
/// <param name="OpCount">How many ops the batch holds.</param>
/// <param name="Payload">The encoded ops (the engine's <c>BatchPayload</c>).</param>
public readonly record struct LogRecord(long FirstSeq, int OpCount, ReadOnlyMemory<byte> Payload)
{
    /// <summary>The seq of the batch's last op.</summary>
    public long LastSeq => FirstSeq + OpCount - 1;
}
