namespace Quire.Storage.Log;

/// <summary>Settings of the write-ahead log.</summary>
public sealed record LogOptions
{
    /// <summary>Size of one segment file, preallocated and pre-written. Default 64 MiB.</summary>
    public long SegmentSize { get; init; } = 64L * 1024 * 1024;

    /// <summary>
    /// Size of a new database's first segment; each next one is twice the last, up to
    /// <see cref="SegmentSize"/>, so an empty database holds little log. Default 1 MiB.
    /// </summary>
    public long InitialSegmentSize { get; init; } = 1L << 20;

    /// <summary>The first segment's size: <see cref="InitialSegmentSize"/>, at most <see cref="SegmentSize"/>.</summary>
    internal long FirstSegmentSize => Math.Min(InitialSegmentSize, SegmentSize);

    /// <summary>How many recycled segments to keep ready for reuse. Default 2.</summary>
    public int MaxSpareSegments { get; init; } = 2;

    /// <summary>Prepare the next segment in the background before the current one fills. Default true.</summary>
    public bool PrepareSpareInBackground { get; init; } = true;

    /// <summary>The largest payload one record can carry in a segment of <see cref="SegmentSize"/>.</summary>
    public int MaxPayload => (int)Math.Min(int.MaxValue - 64, SegmentSize - Format.FileHeader.Size - RecordFrame.HeaderSize - RecordFrame.Alignment - Crypto.DataCipher.RecordOverhead);
}
