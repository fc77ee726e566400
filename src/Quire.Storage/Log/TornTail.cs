namespace Quire.Storage.Log;

/// <summary>An incomplete write at the end of the log, cut on open. Nothing in it was acknowledged as durable.</summary>
/// <param name="Segment">The segment file.</param>
/// <param name="Offset">Where the cut was made.</param>
/// <param name="BytesDropped">How many bytes after the cut were erased.</param>
/// <param name="RecordsDropped">How many complete records after the cut were dropped with it (they followed a torn one).</param>
public sealed record TornTail(string Segment, long Offset, long BytesDropped, int RecordsDropped)
{
    /// <inheritdoc />
    public override string ToString() =>
        $"torn tail cut at offset {Offset} of '{Segment}': {BytesDropped} bytes, {RecordsDropped} complete records dropped after it";
}
