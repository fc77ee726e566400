namespace Quire.Storage.Engine;

/// <summary>The seqs a committed batch took: one per op, contiguous.</summary>
/// <param name="FirstSeq">The seq of the batch's first op.</param>
/// <param name="LastSeq">The seq of the batch's last op.</param>
public readonly record struct CommitResult(long FirstSeq, long LastSeq);
