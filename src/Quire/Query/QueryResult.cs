namespace Quire.Query;

/// <summary>A query's answer: its rows (UTF-8 JSON each), and the seq and chain head of the snapshot it read.</summary>
/// <param name="Rows">Documents (with <c>_id</c> and <c>_seq</c>), or GROUP BY rows.</param>
/// <param name="Seq">The seq of the snapshot read.</param>
/// <param name="Head">The hash chain's head at that seq, lower-case hex.</param>
/// <param name="Examined">How many documents were read to answer it (a LIMIT on an index walk stops early).</param>
public sealed record QueryResult(IReadOnlyList<byte[]> Rows, long Seq, string Head, long Examined = 0);
