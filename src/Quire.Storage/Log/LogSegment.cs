namespace Quire.Storage.Log;

/// <summary>A segment file in use: the seq its first record starts at, its path, and its size (0: not known, a segment found at open).</summary>
internal sealed record LogSegment(long FirstSeq, string Path, long Size = 0);
