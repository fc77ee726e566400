namespace Quire.Storage.Log;

/// <summary>A segment file in use: the seq its first record starts at, and its path.</summary>
internal sealed record LogSegment(long FirstSeq, string Path);
