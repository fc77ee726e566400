namespace Quire.Server.Tests.History;

/// <summary>
/// A check independent of the search: after the last restart, each key must hold the value
/// of a write that no acknowledged write followed. An acknowledged write that began after
/// the write whose value survives had completed, and completed itself before the final
/// read, is lost.
/// </summary>
internal static class LostWrites
{
    /// <summary>The acknowledged writes lost, with what survived instead.</summary>
    public static List<string> Find(IReadOnlyList<HistoryOp> ops, HistoryOp finalRead)
    {
        var key = ops.Where(op => op.Key == finalRead.Key).ToList();
        var writes = key.Where(op => op.Kind != OpKind.Read).ToList();
        var survivor = writes.FirstOrDefault(op => op.Value == finalRead.Observed);
        if (survivor is null)
        {
            return [$"{finalRead.Key} holds {finalRead.Observed ?? "nothing"}, which no write wrote"];
        }

        return writes
            .Where(op => op.Outcome == Outcome.Ok && op.Invoke > survivor.Complete && op.Complete < finalRead.Invoke)
            .Select(op => $"{op} was acknowledged after {survivor} completed, yet {finalRead.Key} holds {finalRead.Observed}")
            .ToList();
    }
}
