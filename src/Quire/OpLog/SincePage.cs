namespace Quire.OpLog;

/// <summary>Receives one change-feed node as JSON (<see cref="OpNode.WriteTo"/>'s shape); the bytes are valid only during the call.</summary>
/// <param name="seq">The op's seq.</param>
/// <param name="nodeJson">The node, UTF-8 JSON.</param>
public delegate void OpNodeSink(long seq, ReadOnlySpan<byte> nodeJson);

/// <summary>A page of the change feed handed out node by node (<c>Database.SinceJson</c>): what <see cref="SinceBatch"/> says besides its nodes.</summary>
/// <param name="Count">How many nodes the sink got.</param>
/// <param name="FromSeq">The cursor the page started after (-1: from the first op).</param>
/// <param name="ToSeq">The last node's seq (the cursor when the page is empty): the next cursor.</param>
/// <param name="HeadSeq">The database's last seq when the page was read.</param>
/// <param name="HasMore">True when ops after <see cref="ToSeq"/> exist.</param>
public sealed record SincePage(int Count, long FromSeq, long ToSeq, long HeadSeq, bool HasMore);
