using System.Diagnostics;
using Xunit.Abstractions;

namespace Quire.Server.Tests.History;

/// <summary>
/// The history checker: concurrent reads, writes and compare-and-sets through the HTTP API
/// with the server killed and restarted between rounds, checked for linearizability per key
/// and for lost acknowledged writes. QUIRE_HISTORY_ROUNDS and QUIRE_HISTORY_SEED set the run
/// (docs/testing.md); CI runs a short one.
/// </summary>
public class HistoryCheckTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Every_key_stays_linearizable_through_kills_and_no_acknowledged_write_is_lost()
    {
        var rounds = int.TryParse(Environment.GetEnvironmentVariable("QUIRE_HISTORY_ROUNDS"), out var r) ? r : 6;
        var seed = int.TryParse(Environment.GetEnvironmentVariable("QUIRE_HISTORY_SEED"), out var s) ? s : 20261207;
        var run = new HistoryRun(seed, clients: 4, keys: 3, minRound: TimeSpan.FromMilliseconds(300), maxRound: TimeSpan.FromMilliseconds(900));
        await run.RunAsync(rounds);

        var ops = run.Ops;
        var checkTime = Stopwatch.StartNew();
        var violations = new List<string>();
        var lost = new List<string>();
        foreach (var final in run.FinalReads)
        {
            var key = ops.Where(op => op.Key == final.Key).ToList();
            if (Linearizability.Check(key, initial: null) is { } problem)
            {
                violations.Add($"{final.Key}: {problem}");
            }

            lost.AddRange(LostWrites.Find(ops, final));
        }

        output.WriteLine($"seed {seed}, {rounds} kill/restart rounds: {ops.Count} operations ({ops.Count(op => op.Kind != OpKind.Read && op.Outcome == Outcome.Ok)} acknowledged writes, "
            + $"{ops.Count(op => op.Kind == OpKind.CompareAndSet && op.Outcome == Outcome.Failed)} refused compare-and-sets, {ops.Count(op => op.Outcome == Outcome.Unknown)} cut off by a kill); "
            + $"checked in {checkTime.ElapsedMilliseconds} ms: {violations.Count} linearizability violations, {lost.Count} lost acknowledged writes");
        Assert.True(ops.Count(op => op.Kind != OpKind.Read && op.Outcome == Outcome.Ok) > rounds * 3, "the clients did too little to test anything");
        Assert.Empty(violations);
        Assert.Empty(lost);
    }

    private static HistoryOp Op(string kind, string? value, string? expected, long invoke, long complete, Outcome outcome = Outcome.Ok, string? observed = null) =>
        new(0, "k", Enum.Parse<OpKind>(kind), value, expected, invoke) { Complete = complete, Outcome = outcome, Observed = observed };

    [Fact]
    public void The_checker_accepts_overlapping_operations_in_some_order_and_refuses_impossible_ones()
    {
        // Two overlapping writes; reads after both agree on one of them.
        Assert.Null(Linearizability.Check([Op("Write", "a", null, 0, 10), Op("Write", "b", null, 1, 11), Op("Read", null, null, 12, 13, observed: "a")], null));
        Assert.Null(Linearizability.Check([Op("Write", "a", null, 0, 10), Op("Write", "b", null, 1, 11), Op("Read", null, null, 12, 13, observed: "b")], null));

        // A stale read: b was written after a completed, and read after b completed.
        Assert.NotNull(Linearizability.Check([Op("Write", "a", null, 0, 1), Op("Write", "b", null, 2, 3), Op("Read", null, null, 4, 5, observed: "a")], null));

        // Two compare-and-sets from the same value cannot both succeed.
        Assert.NotNull(Linearizability.Check([Op("Write", "a", null, 0, 1), Op("CompareAndSet", "b", "a", 2, 5), Op("CompareAndSet", "c", "a", 3, 6)], null));
        Assert.Null(Linearizability.Check([Op("Write", "a", null, 0, 1), Op("CompareAndSet", "b", "a", 2, 5), Op("CompareAndSet", "c", "a", 3, 6, Outcome.Failed)], null));

        // A read flipping back: once b is seen, a must not come back.
        Assert.NotNull(Linearizability.Check([Op("Write", "a", null, 0, 1), Op("Write", "b", null, 2, 10), Op("Read", null, null, 3, 4, observed: "b"), Op("Read", null, null, 5, 6, observed: "a")], null));

        // A write cut off by a kill may have happened or not, but only before the restart.
        Assert.Null(Linearizability.Check([Op("Write", "a", null, 0, 1), Op("Write", "b", null, 2, 5, Outcome.Unknown), Op("Read", null, null, 6, 7, observed: "a")], null));
        Assert.Null(Linearizability.Check([Op("Write", "a", null, 0, 1), Op("Write", "b", null, 2, 5, Outcome.Unknown), Op("Read", null, null, 6, 7, observed: "b")], null));
        Assert.NotNull(Linearizability.Check([Op("Write", "a", null, 0, 1), Op("Write", "b", null, 2, 5, Outcome.Unknown), Op("Read", null, null, 6, 7, observed: "b"), Op("Read", null, null, 8, 9, observed: "a")], null));
    }

    [Fact]
    public void The_lost_write_check_finds_an_acknowledged_write_overwritten_by_an_older_one()
    {
        HistoryOp[] ops = [Op("Write", "a", null, 0, 1), Op("Write", "b", null, 2, 3), Op("Read", null, null, 10, 11, observed: "a")];
        Assert.Single(LostWrites.Find(ops, ops[2]));
        Assert.Empty(LostWrites.Find(ops[..2].Append(Op("Read", null, null, 10, 11, observed: "b")).ToList(), Op("Read", null, null, 10, 11, observed: "b")));
    }
}
